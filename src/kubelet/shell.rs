//! The tiny shell: what a simulated container process does. A container's `command`/`args`
//! (or its image's default process) become a [`Process`] that the runtime steps through in
//! virtual time: `sleep` blocks, `echo` writes to the container log, `exit` ends it.
//!
//! Grammar (what tutorials use): `sh -c 'LIST'` or a single command. A LIST is commands joined
//! by `;`, newlines, `&&` and `||`, with `while COND; do LIST; done` loops. Commands: `sleep N`
//! (`infinity`, suffixes s/m/h/d), `exit N`, `true`, `false`, `:`, `echo [-n] WORDS` (`$VAR`
//! and `${VAR}` from the container's environment), `touch`, `rm [-f]`, `mkdir`, `cat FILE`,
//! `stress` (polinux/stress: `--vm N --vm-bytes SIZE`, `--cpu N`, `--timeout N`), and the
//! servers of the image catalogue (`nginx`, `redis-server`, ...), which run until stopped.
use std::collections::{BTreeMap, BTreeSet};

/// One simple command, its words already expanded.
#[derive(Clone, Debug, PartialEq)]
enum Cmd {
    Sleep(Option<u64>),
    Exit(i32),
    Status(i32),
    Echo {
        words: Vec<String>,
        newline: bool,
    },
    Touch(Vec<String>),
    Rm(Vec<String>),
    Cat(Vec<String>),
    /// stress: memory in bytes, CPU in millicores, and how long it runs (None: forever).
    Stress {
        memory: u64,
        cpu_milli: u64,
        timeout_ms: Option<u64>,
        banner: String,
    },
    /// A server from the image catalogue: runs until stopped.
    Serve(Server),
    /// A program the image does not have.
    NotFound(String),
}

/// A compiled instruction: commands and the jumps that `&&`, `||` and loops need.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Run(Cmd),
    JumpIfFail(usize),
    JumpIfOk(usize),
    Jump(usize),
}

/// How far a process got: it waits, it runs until stopped, or it exited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Blocked in `sleep` until this many ms from now.
    Sleep(u64),
    /// Runs until it is stopped (a server, `sleep infinity`, a stress hog).
    Forever,
    Exited(i32),
    /// The runtime could not start it: `exec: "foo": executable file not found in $PATH`.
    StartError(String),
}

/// A simulated container process: a program counter over compiled instructions.
#[derive(Clone, Debug, PartialEq)]
pub struct Process {
    ops: Vec<Op>,
    pc: usize,
    status: i32,
    env: BTreeMap<String, String>,
    /// The container's writable files (`touch`/`rm`), which exec probes can `cat`.
    pub files: BTreeSet<String>,
    /// What the process uses now: memory in bytes and CPU in millicores.
    pub memory: u64,
    pub cpu_milli: u64,
    /// The server it runs, if any: the ports it answers on.
    pub server: Option<Server>,
    /// Whether it is a shell or sleep as PID 1, which ignores SIGTERM and is killed only
    /// when the grace period ends (exit code 137); servers exit at once with 0.
    pub ignores_sigterm: bool,
}

/// What a process printed while stepping (stdout and stderr both go to the container log).
pub type Output = Vec<String>;

/// Instructions a process runs without blocking before it counts as a busy loop.
const MAX_STEPS: usize = 1_000;

impl Process {
    /// The process for `argv` (command + args, already combined with the image's entrypoint)
    /// in an environment; `image` says which programs the image ships.
    pub fn new(argv: &[String], env: BTreeMap<String, String>, image: Image) -> Process {
        let (ops, shell) = match argv {
            [sh, flag, script, ..] if is_shell(sh) && flag == "-c" => (compile(script, &env, image), true),
            [sh] if is_shell(sh) => (vec![Op::Run(Cmd::Status(0))], true),
            _ => (vec![Op::Run(command(argv, image))], false),
        };
        let pid1_sleep = matches!(ops.first(), Some(Op::Run(Cmd::Sleep(_) | Cmd::Stress { .. })));
        Process {
            ops,
            pc: 0,
            status: 0,
            env,
            files: BTreeSet::new(),
            memory: 0,
            cpu_milli: 0,
            server: None,
            ignores_sigterm: shell || pid1_sleep,
        }
    }

    /// Runs until the process blocks or exits; returns what it printed.
    pub fn step(&mut self) -> (Outcome, Output) {
        let mut out = Vec::new();
        for _ in 0..MAX_STEPS {
            let Some(op) = self.ops.get(self.pc).cloned() else { return (Outcome::Exited(self.status), out) };
            self.pc += 1;
            match op {
                Op::Jump(to) => self.pc = to,
                Op::JumpIfFail(to) if self.status != 0 => self.pc = to,
                Op::JumpIfOk(to) if self.status == 0 => self.pc = to,
                Op::JumpIfFail(_) | Op::JumpIfOk(_) => {}
                Op::Run(cmd) => {
                    if let Some(outcome) = self.run(cmd, &mut out) {
                        return (outcome, out);
                    }
                }
            }
        }
        // A loop that never sleeps keeps a CPU busy and never ends.
        self.cpu_milli = 1000;
        (Outcome::Forever, out)
    }

    fn run(&mut self, cmd: Cmd, out: &mut Output) -> Option<Outcome> {
        self.status = 0;
        match cmd {
            Cmd::Sleep(Some(0)) => None,
            Cmd::Sleep(Some(ms)) => Some(Outcome::Sleep(ms)),
            Cmd::Sleep(None) => Some(Outcome::Forever),
            Cmd::Exit(code) => Some(Outcome::Exited(code)),
            Cmd::Status(code) => {
                self.status = code;
                None
            }
            Cmd::Echo { words, newline } => {
                let text = words.join(" ");
                if newline || !text.is_empty() {
                    out.push(text);
                }
                None
            }
            Cmd::Touch(files) => {
                self.files.extend(files);
                None
            }
            Cmd::Rm(files) => {
                for f in files {
                    self.files.remove(&f);
                }
                None
            }
            Cmd::Cat(files) => {
                for f in files {
                    if !self.files.contains(&f) {
                        out.push(format!("cat: can't open '{f}': No such file or directory"));
                        self.status = 1;
                    }
                }
                None
            }
            Cmd::Stress { memory: 0, cpu_milli: 0, .. } => {
                out.push("`stress' imposes certain types of compute stress on your system".to_string());
                Some(Outcome::Exited(1))
            }
            Cmd::Stress { memory, cpu_milli, timeout_ms, banner } => {
                out.push(banner);
                self.memory = self.memory.saturating_add(memory);
                self.cpu_milli = self.cpu_milli.saturating_add(cpu_milli);
                // stress exits when its --timeout passes; the hogs are released then.
                Some(timeout_ms.map_or(Outcome::Forever, Outcome::Sleep))
            }
            Cmd::Serve(server) => {
                self.memory = self.memory.saturating_add(server.memory);
                self.cpu_milli = self.cpu_milli.saturating_add(server.cpu_milli);
                self.server = Some(server);
                Some(Outcome::Forever)
            }
            Cmd::NotFound(program) => {
                if self.pc == 1 && !self.ignores_sigterm {
                    // PID 1 itself does not exist: the runtime cannot start the container.
                    return Some(Outcome::StartError(format!("exec: {program:?}: executable file not found in $PATH")));
                }
                out.push(format!("sh: {program}: not found"));
                self.status = 127;
                None
            }
        }
    }

    /// A `stress --timeout` run or a `sleep` has ended: the hogs are released.
    pub fn wake(&mut self) {
        self.memory = 0;
        self.cpu_milli = 0;
    }

    /// Runs an exec probe's command in this container: its exit status and output. A command
    /// still running after `timeout_ms` fails as the runtime's exec timeout does.
    pub fn exec(&self, argv: &[String], image: Image, timeout_ms: u64) -> (i32, String) {
        let mut probe = Process::new(argv, self.env.clone(), image);
        probe.files = self.files.clone();
        let mut output = Vec::new();
        let mut elapsed: u64 = 0;
        loop {
            let (outcome, out) = probe.step();
            output.extend(out);
            match outcome {
                Outcome::Exited(code) => return (code, output.join("\n")),
                Outcome::StartError(message) => {
                    return (1, format!("OCI runtime exec failed: exec failed: unable to start container process: {message}: unknown"));
                }
                Outcome::Sleep(ms) if elapsed.saturating_add(ms) <= timeout_ms => elapsed += ms,
                Outcome::Sleep(_) | Outcome::Forever => return (1, format!("command {:?} timed out", argv.join(" "))),
            }
        }
    }
}

/// What an image knows about a command line: a server, another program it ships, or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Program {
    Server(Server),
    Present,
    Missing,
}

/// A long-running server: the ports it answers on and what it uses at rest.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Server {
    pub ports: Vec<u16>,
    pub memory: u64,
    pub cpu_milli: u64,
    /// agnhost `liveness`: `/healthz` answers 200 for this long after start, then 500.
    pub healthy_for_ms: Option<u64>,
}

/// Looks up what a command line runs in the container's image.
pub type Image<'a> = &'a dyn Fn(&[String]) -> Program;

fn is_shell(word: &str) -> bool {
    matches!(word, "sh" | "/bin/sh" | "bash" | "/bin/bash" | "ash" | "/bin/ash")
}

/// One simple command from its words.
fn command(words: &[String], image: Image) -> Cmd {
    let Some((program, args)) = words.split_first() else { return Cmd::Status(0) };
    let base = program.rsplit('/').next().unwrap_or(program);
    match base {
        "sleep" => Cmd::Sleep(args.first().and_then(|a| parse_sleep(a)).unwrap_or(Some(0))),
        "exit" => Cmd::Exit(args.first().and_then(|a| a.parse::<i64>().ok()).map_or(0, |c| c.rem_euclid(256) as i32)),
        "true" | ":" | "mkdir" => Cmd::Status(0),
        "false" => Cmd::Status(1),
        "echo" => match args.first().map(String::as_str) {
            Some("-n") => Cmd::Echo { words: args[1..].to_vec(), newline: false },
            _ => Cmd::Echo { words: args.to_vec(), newline: true },
        },
        "touch" => Cmd::Touch(args.to_vec()),
        "rm" => Cmd::Rm(args.iter().filter(|a| !a.starts_with('-')).cloned().collect()),
        "cat" => Cmd::Cat(args.to_vec()),
        "stress" => stress(args),
        _ => match image(words) {
            Program::Server(server) => Cmd::Serve(server),
            Program::Present => Cmd::Status(0),
            Program::Missing => Cmd::NotFound(program.clone()),
        },
    }
}

/// `sleep N`: `None` inside means forever; `None` outside means a malformed number.
fn parse_sleep(arg: &str) -> Option<Option<u64>> {
    if arg == "infinity" {
        return Some(None);
    }
    let (number, scale) = match arg.char_indices().last()? {
        (i, 's') => (&arg[..i], 1_000.0),
        (i, 'm') => (&arg[..i], 60_000.0),
        (i, 'h') => (&arg[..i], 3_600_000.0),
        (i, 'd') => (&arg[..i], 86_400_000.0),
        _ => (arg, 1_000.0),
    };
    let value: f64 = number.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    // Longer than a year is forever as far as a session can tell.
    Some(Some((value * scale).min(365.0 * 86_400_000.0) as u64))
}

/// polinux/stress's options: hogs of memory and CPU.
fn stress(args: &[String]) -> Cmd {
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let count = |flag: &str| value(flag).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // vish/stress (the CPU task's image) spells it `-cpus N`.
    let (vm, cpu) = (count("--vm").min(64), count("--cpu").max(count("-cpus")).min(256));
    let bytes = value("--vm-bytes").and_then(|v| parse_size(v)).unwrap_or(256 * 1024 * 1024);
    let timeout_ms = value("--timeout").and_then(|v| parse_sleep(v)).flatten();
    Cmd::Stress {
        memory: vm.saturating_mul(bytes),
        cpu_milli: cpu.saturating_mul(1000),
        timeout_ms,
        banner: format!("stress: info: [1] dispatching hogs: {cpu} cpu, 0 io, {vm} vm, 0 hdd"),
    }
}

/// stress sizes: `150M` is 150 MiB (`B`, `K`, `M`, `G` are powers of 1024).
fn parse_size(text: &str) -> Option<u64> {
    let (number, scale) = match text.char_indices().last()? {
        (i, 'b' | 'B') => (&text[..i], 1),
        (i, 'k' | 'K') => (&text[..i], 1 << 10),
        (i, 'm' | 'M') => (&text[..i], 1 << 20),
        (i, 'g' | 'G') => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

/// A token of a shell script: a word, or an operator.
#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    /// `;`, a newline, `&&`, `||`.
    Op(&'static str),
}

/// Splits a script into words and operators, with quoting and `$VAR` expansion.
fn tokenize(script: &str, env: &BTreeMap<String, String>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        '$' => expand(&mut chars, env, &mut word),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next().filter(|c| *c != '\n'));
            }
            '$' => {
                in_word = true;
                expand(&mut chars, env, &mut word);
            }
            '#' if !in_word => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        tokens.push(Token::Op(";"));
                        break;
                    }
                }
            }
            ';' | '\n' => {
                flush(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Op(";"));
            }
            '&' | '|' => {
                flush(&mut word, &mut in_word, &mut tokens);
                if chars.peek() == Some(&c) {
                    chars.next();
                    tokens.push(Token::Op(if c == '&' { "&&" } else { "||" }));
                } else {
                    // A pipe or a background job: the simulated shell runs each part in turn.
                    tokens.push(Token::Op(";"));
                }
            }
            c if c.is_whitespace() => flush(&mut word, &mut in_word, &mut tokens),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut tokens);
    tokens
}

/// `$NAME` or `${NAME}` (after the `$`): the variable's value, empty when unset.
fn expand(chars: &mut std::iter::Peekable<std::str::Chars>, env: &BTreeMap<String, String>, word: &mut String) {
    let mut name = String::new();
    if chars.peek() == Some(&'{') {
        chars.next();
        for c in chars.by_ref() {
            if c == '}' {
                break;
            }
            name.push(c);
        }
        // `${NAME:-default}`: the default when NAME is unset or empty.
        if let Some((var, default)) = name.split_once(":-") {
            word.push_str(env.get(var).filter(|v| !v.is_empty()).map_or(default, String::as_str));
            return;
        }
    } else {
        while let Some(c) = chars.peek().copied().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            word.push('$');
            return;
        }
    }
    word.push_str(env.get(&name).map_or("", String::as_str));
}

/// Compiles a script into instructions: and-or lists become conditional jumps, `while`
/// loops a jump back.
fn compile(script: &str, env: &BTreeMap<String, String>, image: Image) -> Vec<Op> {
    let tokens = tokenize(script, env);
    let mut ops = Vec::new();
    let mut pos = 0;
    compile_list(&tokens, &mut pos, &mut ops, image, &[]);
    ops
}

/// Compiles commands until one of `stop` (a keyword such as `do` or `done`) begins a command.
fn compile_list(tokens: &[Token], pos: &mut usize, ops: &mut Vec<Op>, image: Image, stop: &[&str]) {
    let mut connector: Option<&str> = None;
    while let Some(token) = tokens.get(*pos) {
        match token {
            Token::Op(op) => {
                *pos += 1;
                connector = Some(op);
            }
            Token::Word(w) if stop.contains(&w.as_str()) => return,
            Token::Word(w) if w == "while" || w == "until" => {
                let until = w == "until";
                *pos += 1;
                let start = ops.len();
                compile_list(tokens, pos, ops, image, &["do"]);
                *pos += 1;
                let exit_jump = ops.len();
                ops.push(Op::Jump(0));
                compile_list(tokens, pos, ops, image, &["done"]);
                *pos += 1;
                ops.push(Op::Jump(start));
                let end = ops.len();
                ops[exit_jump] = if until { Op::JumpIfOk(end) } else { Op::JumpIfFail(end) };
                connector = None;
            }
            Token::Word(_) => {
                let mut words = Vec::new();
                while let Some(Token::Word(w)) = tokens.get(*pos) {
                    if !words.is_empty() || !stop.contains(&w.as_str()) {
                        words.push(w.clone());
                        *pos += 1;
                    } else {
                        break;
                    }
                }
                // `a && b`: skip b when a failed; `a || b`: skip b when a succeeded.
                let guard = match connector {
                    Some("&&") => Some(ops.len()),
                    Some("||") => Some(ops.len()),
                    _ => None,
                };
                if guard.is_some() {
                    ops.push(Op::Jump(0));
                }
                ops.push(Op::Run(command(&words, image)));
                if let Some(at) = guard {
                    let after = ops.len();
                    ops[at] = if connector == Some("&&") { Op::JumpIfFail(after) } else { Op::JumpIfOk(after) };
                }
                connector = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(words: &[String]) -> Program {
        match words[0].as_str() {
            "nginx" => Program::Server(Server { ports: vec![80], ..Default::default() }),
            "ls" => Program::Present,
            _ => Program::Missing,
        }
    }

    fn process(argv: &[&str]) -> Process {
        let env = BTreeMap::from([("GREETING".to_string(), "hello".to_string())]);
        Process::new(&argv.iter().map(|s| s.to_string()).collect::<Vec<_>>(), env, &image)
    }

    #[test]
    fn a_script_sleeps_echoes_and_exits() {
        let mut p = process(&["sh", "-c", "echo $GREETING world ${NOPE:-x}; sleep 5; echo \"${GREETING}!\"; exit 3"]);
        assert_eq!(p.step(), (Outcome::Sleep(5000), vec!["hello world x".to_string()]));
        assert_eq!(p.step(), (Outcome::Exited(3), vec!["hello!".to_string()]));
    }

    #[test]
    fn and_or_lists_and_loops() {
        let mut p = process(&["sh", "-c", "false && echo no || echo yes; true || echo no"]);
        assert_eq!(p.step(), (Outcome::Exited(0), vec!["yes".to_string()]));
        let mut p = process(&["/bin/sh", "-c", "while true; do echo tick; sleep 10; done"]);
        for _ in 0..3 {
            assert_eq!(p.step(), (Outcome::Sleep(10_000), vec!["tick".to_string()]));
        }
        let mut busy = process(&["sh", "-c", "while true; do :; done"]);
        assert_eq!(busy.step().0, Outcome::Forever);
        assert_eq!(busy.cpu_milli, 1000);
    }

    #[test]
    fn files_for_exec_probes() {
        let mut p = process(&["sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]);
        let cat: Vec<String> = ["cat", "/tmp/healthy"].iter().map(|s| s.to_string()).collect();
        assert_eq!(p.step().0, Outcome::Sleep(30_000));
        assert_eq!(p.exec(&cat, &image, 1000), (0, String::new()));
        assert_eq!(p.step().0, Outcome::Sleep(600_000));
        assert_eq!(p.exec(&cat, &image, 1000), (1, "cat: can't open '/tmp/healthy': No such file or directory".to_string()));
        let slow: Vec<String> = ["sh", "-c", "sleep 1; sleep 1"].iter().map(|s| s.to_string()).collect();
        assert_eq!(p.exec(&slow, &image, 1000), (1, "command \"sh -c sleep 1; sleep 1\" timed out".to_string()));
        assert_eq!(p.exec(&slow, &image, 2000).0, 0);
    }

    #[test]
    fn programs_servers_stress_and_missing_commands() {
        assert_eq!(process(&["sleep", "3600"]).step().0, Outcome::Sleep(3_600_000));
        assert!(process(&["sleep", "3600"]).ignores_sigterm);
        let mut server = process(&["nginx", "-g", "daemon off;"]);
        assert_eq!(server.step().0, Outcome::Forever);
        assert_eq!((server.server.clone().map(|s| s.ports), server.ignores_sigterm), (Some(vec![80]), false));
        let mut s = process(&["stress", "--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"]);
        assert_eq!(s.step().0, Outcome::Forever);
        assert_eq!(s.memory, 150 << 20);
        assert_eq!(process(&["foo"]).step().0, Outcome::StartError("exec: \"foo\": executable file not found in $PATH".to_string()));
        assert_eq!(process(&["sh", "-c", "foo"]).step(), (Outcome::Exited(127), vec!["sh: foo: not found".to_string()]));
        assert_eq!(process(&["sh", "-c", "sleep 1e400; exit 300"]).step().0, Outcome::Exited(44));
        assert_eq!(process(&["sh", "-c", "echo 'unterminated"]).step(), (Outcome::Exited(0), vec!["unterminated".to_string()]));
    }
}
