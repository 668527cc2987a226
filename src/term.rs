//! Output a person reads on a terminal: whether to colour it, the few styles Ferry uses, and a
//! progress bar that only a terminal sees. One home for these, so that `ferry run`, the engine's
//! commands and whatever prints next agree.
//!
//! Colour follows the usual conventions, in this order (as `anstream`, which clap uses, does):
//! `--color always|never` when the command has it; else `NO_COLOR` set to anything but the
//! empty string turns colour off (<https://no-color.org>); else `CLICOLOR_FORCE` set (and not
//! `0`) turns it on (<https://bixense.com/clicolors/>); else `CLICOLOR=0` turns it off; else the
//! stream must be a terminal whose `TERM` is set and not `dumb`.

use std::io::IsTerminal;
use std::time::Duration;

/// `--color`: when to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless `NO_COLOR` is set (or `CLICOLOR_FORCE` asks).
    #[default]
    Auto,
    /// Always colour, even through a pipe.
    Always,
    /// Never colour.
    Never,
}

/// Which stream the output goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// Whether the stream is a terminal.
    pub fn is_terminal(self) -> bool {
        match self {
            Self::Stdout => std::io::stdout().is_terminal(),
            Self::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// What the environment says about colour, read once (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    pub no_color: bool,
    pub clicolor_force: bool,
    pub clicolor_off: bool,
    pub term_supports_color: bool,
}

impl Env {
    /// Reads `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR` and `TERM`.
    pub fn read() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            no_color: var("NO_COLOR").is_some(),
            clicolor_force: var("CLICOLOR_FORCE").is_some_and(|v| v != "0"),
            clicolor_off: var("CLICOLOR").is_some_and(|v| v == "0"),
            term_supports_color: var("TERM").is_some_and(|v| v != "dumb"),
        }
    }
}

/// Whether to colour a stream, given the choice, the environment and whether it is a terminal.
pub fn decide(choice: ColorChoice, env: &Env, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env.no_color => false,
        ColorChoice::Auto if env.clicolor_force => true,
        ColorChoice::Auto if env.clicolor_off => false,
        ColorChoice::Auto => is_terminal && env.term_supports_color,
    }
}

/// Whether to colour `stream` (reads the environment).
pub fn use_color(choice: ColorChoice, stream: Stream) -> bool {
    decide(choice, &Env::read(), stream.is_terminal())
}

/// The styles Ferry's output uses. Plain text when colour is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colour on or off.
    pub const fn new(color: bool) -> Self {
        Self { color }
    }

    /// No colour.
    pub const fn plain() -> Self {
        Self { color: false }
    }

    /// The style for `stream` under `choice`.
    pub fn for_stream(choice: ColorChoice, stream: Stream) -> Self {
        Self::new(use_color(choice, stream))
    }

    pub fn is_colored(self) -> bool {
        self.color
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Something that went well: PASS, an accepted snapshot, a line a diff adds.
    pub fn good(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Something that went wrong: FAIL, a line a diff removes.
    pub fn bad(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// PASS or FAIL as a mark: bold.
    pub fn good_mark(self, text: &str) -> String {
        self.paint("1;32", text)
    }

    pub fn bad_mark(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Needs attention but is not a failure: a snapshot left to review, a skipped item.
    pub fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// A heading or a location (file and line): bold.
    pub fn strong(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// A location a person may copy (a file path, a hunk's header): cyan.
    pub fn place(self, text: &str) -> String {
        self.paint("36", text)
    }

    /// Less important detail.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// A count with thousands separators: `2965` as `2,965`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A progress bar on standard error, drawn only when standard error is a terminal (nothing in a
/// pipe or a CI log). Text printed through [`Progress::print`] goes to standard output above
/// the bar, through [`Progress::println`] to standard error.
#[derive(Debug)]
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    what: String,
}

impl Progress {
    /// A bar of `total` items named `what` (`scenarios`), showing done of total, the elapsed
    /// time and a message; hidden unless standard error is a terminal.
    pub fn new(total: u64, what: &str) -> Self {
        Self::with_terminal(total, what, Stream::Stderr.is_terminal())
    }

    /// As [`Progress::new`], saying whether standard error is a terminal.
    pub fn with_terminal(total: u64, what: &str, terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
            let template = format!("{{bar:30}} {{pos}} of {{len}} {what} · {{elapsed}} · {{msg}}");
            bar.set_style(
                indicatif::ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("█▌ "),
            );
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Self {
            bar,
            what: what.to_owned(),
        }
    }

    /// A counter of `what` (`users`) whose total is not known yet: a spinner with the phase
    /// (the prefix), the count and the elapsed time, until [`Progress::set_length`] makes it a
    /// bar with the percentage, the rate and the time left. The message follows the counts as
    /// given (start it with its own separator: nothing dangles when it is empty).
    pub fn counter(what: &str, terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
            bar.set_style(Self::counter_style(what));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            what: what.to_owned(),
        }
    }

    fn counter_template(what: &str) -> String {
        format!("{{spinner}} {{prefix}}: {{human_pos}} {what} · {{elapsed}}{{msg}}")
    }

    fn bar_template(what: &str) -> String {
        format!(
            "{{prefix}} {{wide_bar}} {{human_pos}}/{{human_len}} {what} ({{percent}}%) · {{per_sec:1}} · {{eta}} left{{msg}}"
        )
    }

    fn counter_style(what: &str) -> indicatif::ProgressStyle {
        indicatif::ProgressStyle::with_template(&Self::counter_template(what))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
    }

    fn bar_style(what: &str) -> indicatif::ProgressStyle {
        indicatif::ProgressStyle::with_template(&Self::bar_template(what))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("█▌ ")
    }

    /// Whether a bar is drawn.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// One more item done.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Items done.
    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
    }

    /// The total, once known: a counter becomes a bar.
    pub fn set_length(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_style(Self::bar_style(&self.what));
        }
    }

    /// What the bar is doing (`importing`), before the counts.
    pub fn set_prefix(&self, prefix: &str) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(prefix.to_owned());
        }
    }

    /// The message after the counts (`3 running`).
    pub fn set_message(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Prints `text` to standard output without tearing the bar.
    pub fn print(&self, text: &str) {
        use std::io::Write as _;
        let write = || {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Prints a line to standard error, above the bar when there is one.
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                use std::io::Write as _;
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(no_color: bool, clicolor_force: bool, clicolor_off: bool, term: bool) -> Env {
        Env {
            no_color,
            clicolor_force,
            clicolor_off,
            term_supports_color: term,
        }
    }

    #[test]
    fn colour_follows_the_conventions_in_order() {
        let plain_terminal = env(false, false, false, true);
        assert!(decide(ColorChoice::Auto, &plain_terminal, true));
        assert!(
            !decide(ColorChoice::Auto, &plain_terminal, false),
            "a pipe gets no colour"
        );
        assert!(
            !decide(ColorChoice::Auto, &env(false, false, false, false), true),
            "TERM=dumb or unset"
        );
        assert!(
            !decide(ColorChoice::Auto, &env(true, false, false, true), true),
            "NO_COLOR"
        );
        assert!(
            !decide(ColorChoice::Auto, &env(true, true, false, true), true),
            "NO_COLOR wins over CLICOLOR_FORCE"
        );
        assert!(
            decide(ColorChoice::Auto, &env(false, true, false, false), false),
            "CLICOLOR_FORCE through a pipe"
        );
        assert!(
            !decide(ColorChoice::Auto, &env(false, false, true, true), true),
            "CLICOLOR=0"
        );
        assert!(
            decide(ColorChoice::Always, &env(true, false, true, false), false),
            "--color always wins"
        );
        assert!(
            !decide(ColorChoice::Never, &env(false, true, false, true), true),
            "--color never wins"
        );
    }

    #[test]
    fn counts_are_grouped_in_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (2965, "2,965"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }

    #[test]
    fn plain_style_adds_nothing() {
        let plain = Style::plain();
        assert_eq!(plain.bad_mark("FAIL"), "FAIL");
        assert_eq!(Style::new(true).bad_mark("FAIL"), "\x1b[1;31mFAIL\x1b[0m");
    }

    #[test]
    fn the_counter_and_bar_templates_are_valid() {
        // A template indicatif cannot read would fall back to its default silently.
        for template in [Progress::counter_template("users"), Progress::bar_template("users")] {
            assert!(indicatif::ProgressStyle::with_template(&template).is_ok(), "{template}");
        }
        let counter = Progress::counter("users", false);
        counter.set_prefix("importing");
        counter.set_length(10);
        counter.set_position(3);
        counter.println("a line");
        counter.finish();
    }

    #[test]
    fn a_hidden_bar_prints_plainly() {
        let progress = Progress::with_terminal(3, "scenarios", false);
        assert!(!progress.is_visible());
        progress.inc();
        progress.set_message("1 running".into());
        progress.finish();
    }
}
