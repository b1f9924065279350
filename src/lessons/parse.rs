//! The lesson file format (see `tutorials/README.md`): front matter between `---` lines,
//! Markdown prose, a fenced `setup` block before the first `## Step: …` heading, and in each
//! step one fenced `solution` block and one or more fenced `check` blocks. A `##` heading that
//! is not a step ends the steps and starts the closing text.
use super::{Check, Lesson, LessonError, Step};
use crate::kubectl::expect::Expectation;
use crate::kubectl::script;

/// Where the parser is in the file.
enum Part {
    Intro,
    Step,
    Outro,
}

/// A fenced block being read: its info string, the line it opened on, its lines.
struct Fence {
    info: String,
    line: usize,
    body: Vec<String>,
}

pub fn lesson(id: &str, text: &str) -> Result<Lesson, LessonError> {
    let fail = |line: usize, message: String| LessonError { line, message };
    let lines: Vec<&str> = text.lines().collect();
    let mut lesson = Lesson {
        id: id.to_string(),
        title: String::new(),
        summary: String::new(),
        order: 0,
        intro: String::new(),
        setup: String::new(),
        steps: Vec::new(),
        outro: String::new(),
    };
    let body_start = front_matter(&lines, &mut lesson)?;
    let mut part = Part::Intro;
    let mut prose: Vec<String> = Vec::new();
    let mut setup_seen = false;
    // The step being read: its heading line, title, solution (with its line) and checks.
    let mut step: Option<(usize, Step, bool)> = None;
    let mut fence: Option<Fence> = None;
    for (index, raw) in lines.iter().enumerate().skip(body_start) {
        let number = index + 1;
        let line = raw.trim_end();
        if let Some(open) = &mut fence {
            if line.trim_start() == "```" {
                let Some(closed) = fence.take() else { continue };
                match closed.info.as_str() {
                    "setup" | "solution" | "check" => {}
                    _ => {
                        prose.push(format!("```{}", closed.info));
                        prose.extend(closed.body);
                        prose.push("```".to_string());
                        continue;
                    }
                }
                let script_text: String = closed.body.iter().map(|l| format!("{l}\n")).collect();
                match (closed.info.as_str(), &part, &mut step) {
                    ("setup", Part::Intro, _) if !setup_seen => {
                        check_script(&script_text, closed.line)?;
                        lesson.setup = script_text;
                        setup_seen = true;
                    }
                    ("setup", Part::Intro, _) => return Err(fail(closed.line, "a lesson has one setup block".to_string())),
                    ("setup", _, _) => return Err(fail(closed.line, "the setup block comes before the first step".to_string())),
                    ("solution", Part::Step, Some((_, current, has_solution))) => {
                        if *has_solution {
                            return Err(fail(closed.line, format!("step {:?} has a second solution block", current.title)));
                        }
                        check_script(&script_text, closed.line)?;
                        current.solution = script_text;
                        *has_solution = true;
                    }
                    ("check", Part::Step, Some((_, current, _))) => current.checks.extend(checks(&closed)?),
                    (info, _, _) => return Err(fail(closed.line, format!("a {info} block belongs inside a `## Step: …` section"))),
                }
            } else {
                open.body.push(raw.to_string());
            }
            continue;
        }
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fence = Some(Fence { info: info.trim().to_string(), line: number, body: Vec::new() });
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            let heading = heading.trim();
            match heading.strip_prefix("Step:").map(str::trim) {
                Some("") => return Err(fail(number, "a step needs a title: `## Step: Title`".to_string())),
                Some(title) => {
                    if matches!(part, Part::Outro) {
                        return Err(fail(number, "a step cannot follow the closing section".to_string()));
                    }
                    finish(&mut lesson, &mut part, &mut step, &mut prose)?;
                    step = Some((
                        number,
                        Step { title: title.to_string(), instructions: String::new(), solution: String::new(), checks: Vec::new() },
                        false,
                    ));
                    part = Part::Step;
                    continue;
                }
                None if matches!(part, Part::Step) => {
                    finish(&mut lesson, &mut part, &mut step, &mut prose)?;
                    part = Part::Outro;
                }
                None => {}
            }
        }
        // The page's `# Title` is the lesson's title, which the panel shows on its own.
        if matches!(part, Part::Intro) && line.starts_with("# ") && prose.iter().all(|l| l.trim().is_empty()) {
            continue;
        }
        prose.push(line.to_string());
    }
    if let Some(open) = fence {
        return Err(fail(open.line, format!("the ```{} block is not closed by a ``` line", open.info)));
    }
    finish(&mut lesson, &mut part, &mut step, &mut prose)?;
    if lesson.steps.is_empty() {
        return Err(fail(lines.len().max(1), "a lesson needs at least one `## Step: …` section".to_string()));
    }
    Ok(lesson)
}

/// Ends the part being read: its prose goes to the intro, the step or the outro.
fn finish(
    lesson: &mut Lesson,
    part: &mut Part,
    step: &mut Option<(usize, Step, bool)>,
    prose: &mut Vec<String>,
) -> Result<(), LessonError> {
    let text = markdown(std::mem::take(prose));
    match part {
        Part::Intro => lesson.intro = text,
        Part::Outro => lesson.outro = text,
        Part::Step => {
            let Some((line, mut current, has_solution)) = step.take() else { return Ok(()) };
            let fail = |message: String| Err(LessonError { line, message });
            if text.is_empty() {
                return fail(format!("step {:?} has no instructions", current.title));
            }
            if !has_solution {
                return fail(format!("step {:?} has no ```solution block", current.title));
            }
            if current.checks.is_empty() {
                return fail(format!("step {:?} has no ```check block with a check in it", current.title));
            }
            current.instructions = text;
            lesson.steps.push(current);
        }
    }
    Ok(())
}

/// Lines of prose as Markdown, without blank lines at either end.
fn markdown(lines: Vec<String>) -> String {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}

/// Reads the front matter; returns the index of the first line after it.
fn front_matter(lines: &[&str], lesson: &mut Lesson) -> Result<usize, LessonError> {
    let fail = |line: usize, message: String| Err(LessonError { line, message });
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return fail(1, "a lesson starts with front matter: a `---` line, `title:`, `summary:` (and `order:`), then `---`".to_string());
    }
    for (index, raw) in lines.iter().enumerate().skip(1) {
        let number = index + 1;
        let line = raw.trim();
        if line == "---" {
            if lesson.title.is_empty() {
                return fail(number, "the front matter has no `title:`".to_string());
            }
            if lesson.summary.is_empty() {
                return fail(number, "the front matter has no `summary:`".to_string());
            }
            return Ok(index + 1);
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return fail(number, format!("expected `key: value` in the front matter, found {line:?}"));
        };
        let value = value.trim().trim_matches('"').to_string();
        match key.trim() {
            "id" if value != lesson.id => {
                return fail(number, format!("the id {value:?} does not match the lesson's file name {:?}", lesson.id))
            }
            "id" => {}
            "title" => lesson.title = value,
            "summary" => lesson.summary = value,
            "order" => {
                lesson.order = value
                    .parse()
                    .map_err(|_| LessonError { line: number, message: format!("order must be a whole number, found {value:?}") })?
            }
            other => return fail(number, format!("unknown front matter key {other:?} (known: id, title, summary, order)")),
        }
    }
    fail(1, "the front matter is not closed by a `---` line".to_string())
}

/// A script block's syntax, with errors at the lesson's line numbers.
fn check_script(text: &str, fence_line: usize) -> Result<(), LessonError> {
    script::check_syntax(text).map_err(|e| LessonError { line: fence_line + e.line, message: e.message })
}

/// The checks of a `check` block: one `sim expect …` per line, each described by the `#`
/// comment lines just above it.
fn checks(fence: &Fence) -> Result<Vec<Check>, LessonError> {
    let mut checks = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    for (offset, raw) in fence.body.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            comment.clear();
        } else if let Some(text) = line.strip_prefix('#') {
            comment.push(text.trim().to_string());
        } else {
            Expectation::parse_line(line).map_err(|e| LessonError { line: fence.line + 1 + offset, message: e })?;
            let description = if comment.is_empty() { line.to_string() } else { comment.join(" ") };
            checks.push(Check { description, command: line.to_string() });
            comment.clear();
        }
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::super::Lesson;

    const GOOD: &str = "---\ntitle: T\nsummary: S\norder: 3\n---\n# T\n\nIntro.\n\n```setup\nsim wait 1s\n```\n\n## Step: One\n\nDo it:\n\n```yaml\nkind: X\n```\n\n```solution\nkubectl create deployment web --image=nginx\n```\n\n```check\n# The Deployment exists\nsim expect deployment/web\nsim expect pods -l app=web --count 1\n```\n\n## What you learned\n\nThings.\n";

    #[test]
    fn a_lesson_in_parts() {
        let lesson = Lesson::parse("t", GOOD).unwrap();
        assert_eq!((lesson.title.as_str(), lesson.summary.as_str(), lesson.order), ("T", "S", 3));
        assert_eq!(lesson.intro, "Intro.");
        assert_eq!(lesson.setup, "sim wait 1s\n");
        assert_eq!(lesson.outro, "## What you learned\n\nThings.");
        let step = &lesson.steps[0];
        assert_eq!(step.title, "One");
        assert_eq!(step.instructions, "Do it:\n\n```yaml\nkind: X\n```");
        assert_eq!(step.solution, "kubectl create deployment web --image=nginx\n");
        assert_eq!(step.checks.len(), 2);
        assert_eq!(step.checks[0].description, "The Deployment exists");
        assert_eq!(step.checks[1].description, "sim expect pods -l app=web --count 1");
    }

    #[test]
    fn malformed_lessons_name_the_line() {
        let head = "---\ntitle: T\nsummary: S\n---\n";
        let step = "## Step: A\nDo.\n```solution\nsim wait 1s\n```\n```check\nsim expect pods\n```\n";
        let cases = [
            (
                "# T\n".to_string(),
                "line 1: a lesson starts with front matter: a `---` line, `title:`, `summary:` (and `order:`), then `---`",
            ),
            ("---\ntitle: T\n".to_string(), "line 1: the front matter is not closed by a `---` line"),
            ("---\ntitle: T\n---\n".to_string(), "line 3: the front matter has no `summary:`"),
            ("---\nid: x\n---\n".to_string(), "line 2: the id \"x\" does not match the lesson's file name \"t\""),
            ("---\ncolour: red\n---\n".to_string(), "line 2: unknown front matter key \"colour\" (known: id, title, summary, order)"),
            ("---\norder: first\n---\n".to_string(), "line 2: order must be a whole number, found \"first\""),
            (head.to_string(), "line 4: a lesson needs at least one `## Step: …` section"),
            (format!("{head}## Step: A\n\nDo.\n```check\nsim expect pods\n"), "line 8: the ```check block is not closed by a ``` line"),
            (
                format!("{head}## Step: A\n\nDo.\n```check\nkubectl get pods\n```\n"),
                "line 9: error: a check is a `sim expect …` command, not \"kubectl get pods\"",
            ),
            (
                format!("{head}## Step: A\n\nDo.\n```check\nsim expect pods --count x\n```\n"),
                "line 9: error: invalid argument \"x\" for \"--count\" flag: expected a whole number, >=N or <=N",
            ),
            (format!("{head}## Step: A\n\nDo.\n```check\nsim expect pods\n```\n"), "line 5: step \"A\" has no ```solution block"),
            (
                format!("{head}## Step: A\n\nDo.\n```solution\nsim wait 1s\n```\n"),
                "line 5: step \"A\" has no ```check block with a check in it",
            ),
            (
                format!("{head}## Step: A\n```solution\nsim wait 1s\n```\n```check\nsim expect pods\n```\n"),
                "line 5: step \"A\" has no instructions",
            ),
            (
                format!("{head}## Step: A\n\nDo.\n```solution\nsim wait 1s\nls\n```\n"),
                "line 10: unknown command \"ls\": a script line starts with kubectl or sim",
            ),
            (
                format!("{head}## Step: A\n\nDo.\n```solution\nkubectl apply -f - <<EOF\n```\n"),
                "line 9: here-document is not terminated by \"EOF\"",
            ),
            (format!("{head}## Step:\n"), "line 5: a step needs a title: `## Step: Title`"),
            (format!("{head}{step}## Done\n## Step: B\n"), "line 14: a step cannot follow the closing section"),
            (format!("{head}```solution\nsim wait 1s\n```\n"), "line 5: a solution block belongs inside a `## Step: …` section"),
            (format!("{head}## Step: A\nDo.\n```setup\nsim wait 1s\n```\n"), "line 7: the setup block comes before the first step"),
            (format!("{head}```setup\n```\n```setup\n```\n{step}"), "line 7: a lesson has one setup block"),
            (format!("{head}{step}```solution\nsim wait 2s\n```\n"), "line 13: step \"A\" has a second solution block"),
        ];
        for (text, error) in cases {
            assert_eq!(Lesson::parse("t", &text).map(|_| ()).unwrap_err().to_string(), error, "{text}");
        }
    }
}
