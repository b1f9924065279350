//! etcd's membership and Raft as a learner observes them (not Raft's messages): members that
//! run or not, one leader, terms, and the quorum a write needs.
//!
//! - A write commits only through a leader, and a leader exists only while a majority
//!   (⌊n/2⌋ + 1) of the members run: losing a minority changes nothing, losing the majority
//!   makes every write fail (etcd's `ErrTimeout`, "etcdserver: request timed out").
//! - When the leader stops, the followers wait one randomized election timeout (etcd's
//!   `--election-timeout` 1000 ms, drawn from [1000, 2000) ms as raft does), then one of them
//!   becomes leader at term + 1. Meanwhile requests fail with "etcdserver: leader changed".
//! - A leader that no longer hears from a majority steps down after an election timeout
//!   (CheckQuorum). With pre-vote (on by default since etcd 3.5) members without a majority do
//!   not inflate the term, so the term moves only when an election succeeds.
use crate::rng::Rng;

/// etcd's default `--election-timeout`.
pub const ELECTION_TIMEOUT_MS: u64 = 1000;
/// The term a fresh cluster reports once its first leader is elected.
const FIRST_TERM: u64 = 2;

/// What a write (or a quorum read) gets while the cluster has no leader.
pub const ERR_TIMEOUT: &str = "etcdserver: request timed out";
pub const ERR_LEADER_CHANGED: &str = "etcdserver: leader changed";

/// One member: `etcd-N`, running on a control-plane node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// etcd's 64-bit member ID (printed in hex).
    pub id: u64,
    pub name: String,
    /// The control-plane node it runs on.
    pub node: String,
    pub running: bool,
    /// The latest term this member knows (a stopped member keeps the one it had).
    pub term: u64,
}

/// The cluster of members.
#[derive(Clone, Debug)]
pub struct Raft {
    members: Vec<Member>,
    /// Index into `members` of the leader.
    leader: Option<usize>,
    term: u64,
    /// When the next election (or a leader's step-down) happens, if one is pending.
    election_due: Option<u64>,
}

impl Default for Raft {
    /// A single member, `etcd-1` on `control-plane`, leading at the first term (as kubeadm's
    /// first control-plane node starts it).
    fn default() -> Self {
        Raft { members: vec![member(1, "control-plane")], leader: Some(0), term: FIRST_TERM, election_due: None }
    }
}

/// Member `etcd-N` on `node`. etcd derives the ID from the peer URLs and the cluster's name;
/// here a hash of the name stands in for it (no randomness, so the default cluster draws
/// nothing from the RNG).
fn member(n: usize, node: &str) -> Member {
    let name = format!("etcd-{n}");
    // FNV-1a.
    let id = name.bytes().chain(node.bytes()).fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    Member { id, name, node: node.to_string(), running: true, term: FIRST_TERM }
}

impl Raft {
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn leader(&self) -> Option<&Member> {
        self.leader.and_then(|i| self.members.get(i))
    }

    pub fn term(&self) -> u64 {
        self.term
    }

    /// ⌊n/2⌋ + 1.
    pub fn quorum(&self) -> usize {
        self.members.len() / 2 + 1
    }

    pub fn has_quorum(&self) -> bool {
        self.members.iter().filter(|m| m.running).count() >= self.quorum()
    }

    /// Why a write cannot commit now, as etcd answers it; `None` when it can.
    pub fn unavailable(&self) -> Option<&'static str> {
        match (self.leader.is_some() && self.has_quorum(), self.has_quorum()) {
            (true, _) => None,
            (false, true) => Some(ERR_LEADER_CHANGED),
            (false, false) => Some(ERR_TIMEOUT),
        }
    }

    pub fn find(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// `etcdctl member add` and the new member's start: it joins as a follower.
    pub fn add_member(&mut self, node: &str) -> String {
        let mut joined = member(self.members.len() + 1, node);
        joined.term = self.term;
        let name = joined.name.clone();
        self.members.push(joined);
        name
    }

    /// Starts or stops a member. Returns false when it already was so.
    pub fn set_running(&mut self, name: &str, running: bool, now_ms: u64, rng: &mut Rng) -> bool {
        let Some(index) = self.members.iter().position(|m| m.name == name) else { return false };
        if self.members[index].running == running {
            return false;
        }
        self.members[index].running = running;
        if running {
            // A member that returns learns the current term from the leader's heartbeats.
            if self.leader.is_some() {
                self.members[index].term = self.term;
            }
        } else if self.leader == Some(index) {
            self.leader = None;
        }
        self.plan_election(now_ms, rng);
        true
    }

    /// Schedules what the members will do about the leadership: an election when there is no
    /// leader but a majority runs, a step-down when the leader has lost its majority.
    /// An election waits a randomized timeout in [1000, 2000) ms; a step-down one timeout.
    fn plan_election(&mut self, now_ms: u64, rng: &mut Rng) {
        let needs_change = self.leader.is_some() != self.has_quorum();
        if needs_change && self.election_due.is_none() {
            let jitter = if self.leader.is_none() { rng.below(ELECTION_TIMEOUT_MS) } else { 0 };
            self.election_due = Some(now_ms.saturating_add(ELECTION_TIMEOUT_MS + jitter));
        } else if !needs_change {
            self.election_due = None;
        }
    }

    /// When [`Raft::tick`] must run next, if anything is pending.
    pub fn next_due(&self) -> Option<u64> {
        self.election_due
    }

    /// Runs a pending election or step-down that is due. Returns true when a new leader was
    /// elected (writes work again).
    pub fn tick(&mut self, now_ms: u64, rng: &mut Rng) -> bool {
        if self.election_due.is_none_or(|due| due > now_ms) {
            return false;
        }
        self.election_due = None;
        if self.leader.is_some() && !self.has_quorum() {
            self.leader = None;
            return false;
        }
        if self.leader.is_some() || !self.has_quorum() {
            return false;
        }
        // The follower whose randomized timeout fires first campaigns and wins: any running
        // member, at random.
        let running: Vec<usize> = (0..self.members.len()).filter(|&i| self.members[i].running).collect();
        let Some(&winner) = running.get(rng.below(running.len() as u64) as usize) else { return false };
        self.term += 1;
        self.leader = Some(winner);
        for &i in &running {
            self.members[i].term = self.term;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Raft {
        let mut raft = Raft::default();
        raft.add_member("control-plane2");
        raft.add_member("control-plane3");
        raft
    }

    #[test]
    fn losing_a_minority_keeps_the_leader_and_writes() {
        let mut raft = three();
        let mut rng = Rng::new(3);
        assert_eq!(raft.quorum(), 2);
        assert!(raft.set_running("etcd-3", false, 0, &mut rng));
        assert!(!raft.set_running("etcd-3", false, 0, &mut rng), "already stopped");
        assert_eq!(raft.unavailable(), None);
        assert_eq!(raft.leader().map(|m| m.name.as_str()), Some("etcd-1"));
        assert_eq!(raft.next_due(), None);
    }

    #[test]
    fn the_leader_stopping_brings_an_election_at_the_next_term() {
        let mut raft = three();
        let mut rng = Rng::new(7);
        raft.set_running("etcd-1", false, 10_000, &mut rng);
        assert_eq!(raft.unavailable(), Some(ERR_LEADER_CHANGED));
        let due = raft.next_due().unwrap();
        assert!((11_000..12_000).contains(&due), "{due}");
        assert!(!raft.tick(due - 1, &mut rng));
        assert!(raft.tick(due, &mut rng));
        let leader = raft.leader().unwrap();
        assert_ne!(leader.name, "etcd-1");
        assert_eq!((raft.term(), leader.term), (3, 3));
        assert_eq!(raft.find("etcd-1").unwrap().term, 2, "a stopped member keeps its term");
        raft.set_running("etcd-1", true, due, &mut rng);
        assert_eq!(raft.find("etcd-1").unwrap().term, 3);
    }

    #[test]
    fn losing_the_majority_stops_writes_until_it_returns() {
        let mut raft = three();
        let mut rng = Rng::new(1);
        raft.set_running("etcd-2", false, 0, &mut rng);
        raft.set_running("etcd-3", false, 0, &mut rng);
        assert_eq!(raft.unavailable(), Some(ERR_TIMEOUT));
        assert!(!raft.tick(1_000, &mut rng), "the leader steps down; nobody can win");
        assert!(raft.leader().is_none());
        assert_eq!(raft.term(), 2, "pre-vote: no term inflation without a majority");
        raft.set_running("etcd-3", true, 5_000, &mut rng);
        assert_eq!(raft.unavailable(), Some(ERR_LEADER_CHANGED));
        assert!(raft.tick(7_000, &mut rng));
        assert_eq!((raft.unavailable(), raft.term()), (None, 3));
    }
}
