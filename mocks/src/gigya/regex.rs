//! A small regular-expression engine for the two places the mock needs one: `regex('…')` in the
//! search query language (a whole-value match, gigya.md §3.3) and IdentitySync's `field.replace`
//! (Java `replaceAll` semantics, `$1` group references).
//!
//! The crate has no regex dependency, so this is a backtracking VM with a visited set (RE2's
//! "bit state" idea): each (instruction, position) pair is explored at most once, so matching is
//! linear in pattern size × text length and a hostile pattern cannot hang the mock.
//!
//! Syntax: literals, `.`, classes `[a-z]` `[^…]`, escapes `\d \D \w \W \s \S \t \n \r \f \v \xHH
//! \uHHHH` and escaped punctuation, groups `( )` and `(?: )`, alternation `|`, quantifiers `* + ?
//! {n} {n,} {n,m}` (greedy, or lazy with a trailing `?`), anchors `^ $`, and a leading `(?i)`
//! for case-insensitive matching. Lucene's extras (`@`, `&`, `~`, `<n-m>`, `#`) are not special.

use std::fmt;

/// Largest program a pattern may compile to (counted repetitions are unrolled).
const MAX_PROGRAM: usize = 20_000;
/// Largest visited set, in bits; longer texts are refused rather than matched slowly.
const MAX_STATES: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug)]
enum Inst {
    Char(char),
    Any,
    Class(Class),
    /// Try `.0` first, then `.1`.
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    Bol,
    Eol,
    Match,
}

#[derive(Clone, Debug)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char, fold: bool) -> bool {
        let hit = |c: char| self.ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
        let found = hit(c) || (fold && (hit(lower(c)) || hit(upper(c))));
        found != self.negated
    }
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn upper(c: char) -> char {
    c.to_uppercase().next().unwrap_or(c)
}

/// A compiled pattern.
#[derive(Clone)]
pub(crate) struct Regex {
    source: String,
    prog: Vec<Inst>,
    groups: usize,
    fold: bool,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.source)
    }
}

#[derive(Clone, Debug)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Bol,
    Eol,
    Group(Box<Node>, Option<usize>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

/// Deepest group nesting a pattern may have.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    groups: usize,
    depth: usize,
    source: &'a str,
}

impl Parser<'_> {
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at position {} of regex '{}'", self.pos, self.source))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn alt(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.concat()?];
        while self.eat('|') {
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantified(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect::<String>().parse().ok()
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                let save = self.pos;
                self.pos += 1;
                let Some(min) = self.number() else {
                    // Not a quantifier: a literal brace, as in Java.
                    self.pos = save;
                    return Ok(atom);
                };
                let max = if self.eat(',') {
                    if self.peek() == Some('}') { None } else { self.number() }
                } else {
                    Some(min)
                };
                if !self.eat('}') {
                    return self.err("unterminated {n,m} quantifier");
                }
                if max.is_some_and(|m| m < min) {
                    return self.err("quantifier {n,m} with m < n");
                }
                self.pos -= 1; // the common step below skips the closing brace
                (min, max)
            }
            _ => return Ok(atom),
        };
        self.pos += 1;
        if matches!(atom, Node::Bol | Node::Eol | Node::Empty) {
            return self.err("nothing to repeat");
        }
        let greedy = !self.eat('?');
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
            greedy,
        })
    }

    fn atom(&mut self) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return self.err("unexpected end");
        };
        self.pos += 1;
        match c {
            '.' => Ok(Node::Any),
            '^' => Ok(Node::Bol),
            '$' => Ok(Node::Eol),
            '(' => {
                if self.depth >= MAX_DEPTH {
                    return self.err("groups nested too deeply");
                }
                let capture = if self.peek() == Some('?') {
                    if self.chars.get(self.pos + 1) == Some(&':') {
                        self.pos += 2;
                        None
                    } else {
                        return self.err("unsupported group flag");
                    }
                } else {
                    self.groups += 1;
                    Some(self.groups)
                };
                self.depth += 1;
                let inner = self.alt();
                self.depth -= 1;
                let inner = inner?;
                if !self.eat(')') {
                    return self.err("missing )");
                }
                Ok(Node::Group(Box::new(inner), capture))
            }
            ')' => self.err("unbalanced )"),
            '[' => self.class().map(Node::Class),
            '*' | '+' | '?' => self.err("nothing to repeat"),
            '\\' => self.escape(false).map(|e| match e {
                Escaped::Char(c) => Node::Char(c),
                Escaped::Class(class) => Node::Class(class),
            }),
            c => Ok(Node::Char(c)),
        }
    }

    fn hex(&mut self, digits: usize) -> Result<char, String> {
        let text: String = self.chars.iter().skip(self.pos).take(digits).collect();
        if text.chars().count() != digits {
            return self.err("truncated escape");
        }
        self.pos += digits;
        u32::from_str_radix(&text, 16)
            .ok()
            .and_then(char::from_u32)
            .map_or_else(|| self.err("invalid hex escape"), Ok)
    }

    fn escape(&mut self, in_class: bool) -> Result<Escaped, String> {
        let Some(c) = self.peek() else {
            return self.err("trailing backslash");
        };
        self.pos += 1;
        let class = |negated: bool, ranges: &[(char, char)]| {
            Ok(Escaped::Class(Class {
                negated,
                ranges: ranges.to_vec(),
            }))
        };
        const DIGIT: &[(char, char)] = &[('0', '9')];
        const WORD: &[(char, char)] = &[('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
        const SPACE: &[(char, char)] = &[(' ', ' '), ('\t', '\r')];
        match c {
            'd' => class(false, DIGIT),
            'D' => class(true, DIGIT),
            'w' => class(false, WORD),
            'W' => class(true, WORD),
            's' => class(false, SPACE),
            'S' => class(true, SPACE),
            't' => Ok(Escaped::Char('\t')),
            'n' => Ok(Escaped::Char('\n')),
            'r' => Ok(Escaped::Char('\r')),
            'f' => Ok(Escaped::Char('\u{c}')),
            'v' => Ok(Escaped::Char('\u{b}')),
            '0' => Ok(Escaped::Char('\0')),
            'x' => self.hex(2).map(Escaped::Char),
            'u' => self.hex(4).map(Escaped::Char),
            'b' | 'B' | 'A' | 'z' | 'Z' if !in_class => self.err("unsupported assertion"),
            c if c.is_ascii_alphanumeric() => self.err("unknown escape"),
            c => Ok(Escaped::Char(c)),
        }
    }

    fn class(&mut self) -> Result<Class, String> {
        let negated = self.eat('^');
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return self.err("missing ]");
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Escaped::Char(c) => c,
                    Escaped::Class(inner) => {
                        if inner.negated {
                            return self.err("negated escape inside a class");
                        }
                        ranges.extend(inner.ranges);
                        continue;
                    }
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                self.pos += 1;
                let Some(h) = self.peek() else {
                    return self.err("missing ]");
                };
                self.pos += 1;
                let hi = if h == '\\' {
                    match self.escape(true)? {
                        Escaped::Char(c) => c,
                        Escaped::Class(_) => return self.err("class escape as a range end"),
                    }
                } else {
                    h
                };
                if hi < lo {
                    return self.err("range out of order");
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Class { negated, ranges })
    }
}

enum Escaped {
    Char(char),
    Class(Class),
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn push(&mut self, inst: Inst) -> Result<usize, String> {
        if self.prog.len() >= MAX_PROGRAM {
            return Err("regex too large".into());
        }
        self.prog.push(inst);
        Ok(self.prog.len() - 1)
    }

    fn emit(&mut self, node: &Node) -> Result<(), String> {
        match node {
            Node::Empty => {}
            Node::Char(c) => {
                self.push(Inst::Char(*c))?;
            }
            Node::Any => {
                self.push(Inst::Any)?;
            }
            Node::Class(class) => {
                self.push(Inst::Class(class.clone()))?;
            }
            Node::Bol => {
                self.push(Inst::Bol)?;
            }
            Node::Eol => {
                self.push(Inst::Eol)?;
            }
            Node::Group(inner, capture) => {
                if let Some(n) = capture {
                    self.push(Inst::Save(2 * n))?;
                }
                self.emit(inner)?;
                if let Some(n) = capture {
                    self.push(Inst::Save(2 * n + 1))?;
                }
            }
            Node::Concat(items) => {
                for item in items {
                    self.emit(item)?;
                }
            }
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if i + 1 < branches.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(branch)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, next);
                    } else {
                        self.emit(branch)?;
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat { node, min, max, greedy } => {
                for _ in 0..*min {
                    self.emit(node)?;
                }
                match max {
                    None => {
                        // L: split body, out; body; jmp L
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(node)?;
                        self.push(Inst::Jmp(split))?;
                        let out = self.prog.len();
                        self.prog[split] = branch(*greedy, split + 1, out);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.emit(node)?;
                        }
                        let out = self.prog.len();
                        for s in splits {
                            self.prog[s] = branch(*greedy, s + 1, out);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn branch(greedy: bool, body: usize, out: usize) -> Inst {
    if greedy {
        Inst::Split(body, out)
    } else {
        Inst::Split(out, body)
    }
}

impl Regex {
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let (fold, body) = match pattern.strip_prefix("(?i)") {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let mut parser = Parser {
            chars: body.chars().collect(),
            pos: 0,
            groups: 0,
            depth: 0,
            source: pattern,
        };
        let node = parser.alt()?;
        if parser.pos < parser.chars.len() {
            return parser.err("unbalanced )");
        }
        let mut compiler = Compiler { prog: Vec::new() };
        compiler.emit(&node)?;
        compiler.push(Inst::Match)?;
        Ok(Self {
            source: pattern.to_owned(),
            prog: compiler.prog,
            groups: parser.groups,
            fold,
        })
    }

    /// Whether the whole of `text` matches (the pattern is anchored at both ends).
    pub(crate) fn is_full_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        self.run(&chars, 0, true).is_some()
    }

    /// Every non-overlapping match replaced, Java `String.replaceAll` style: `$n` is group n,
    /// `\x` is a literal x. Texts too long to match safely are returned unchanged.
    pub(crate) fn replace_all(&self, text: &str, replacement: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        let mut copied = 0;
        while pos <= chars.len() {
            match self.run(&chars, pos, false) {
                Some(slots) => {
                    let (start, end) = (slots[0].unwrap_or(pos), slots[1].unwrap_or(pos));
                    out.extend(&chars[copied..start]);
                    self.expand(replacement, &chars, &slots, &mut out);
                    copied = end;
                    pos = if end == start { end + 1 } else { end };
                    if end == start && start < chars.len() {
                        out.push(chars[start]);
                        copied = start + 1;
                    }
                }
                None => pos += 1,
            }
        }
        if copied < chars.len() {
            out.extend(&chars[copied..]);
        }
        out
    }

    fn expand(&self, replacement: &str, chars: &[char], slots: &[Option<usize>], out: &mut String) {
        let mut it = replacement.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '\\' => {
                    if let Some(next) = it.next() {
                        out.push(next);
                    }
                }
                '$' if it.peek().is_some_and(char::is_ascii_digit) => {
                    let mut n = 0usize;
                    while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                        let candidate = n * 10 + d as usize;
                        if candidate > self.groups && n != 0 {
                            break;
                        }
                        n = candidate;
                        it.next();
                    }
                    if let (Some(Some(s)), Some(Some(e))) = (slots.get(2 * n), slots.get(2 * n + 1))
                        && s <= e
                        && *e <= chars.len()
                    {
                        out.extend(&chars[*s..*e]);
                    }
                }
                c => out.push(c),
            }
        }
    }

    /// Runs the program from `start`; returns the capture slots of the first match.
    fn run(&self, chars: &[char], start: usize, full: bool) -> Option<Vec<Option<usize>>> {
        let width = chars.len() + 1;
        let states = self.prog.len().saturating_mul(width);
        if states > MAX_STATES {
            return None;
        }
        let mut visited = vec![0u64; states.div_ceil(64)];
        let mut slots: Vec<Option<usize>> = vec![None; 2 * (self.groups + 1)];
        slots[0] = Some(start);
        // Explore (pc, pos), or restore a slot when backtracking.
        enum Job {
            Visit(usize, usize),
            Restore(usize, Option<usize>),
        }
        let mut stack = vec![Job::Visit(0, start)];
        while let Some(job) = stack.pop() {
            let (mut pc, mut pos) = match job {
                Job::Restore(slot, value) => {
                    slots[slot] = value;
                    continue;
                }
                Job::Visit(pc, pos) => (pc, pos),
            };
            loop {
                let bit = pc * width + pos;
                if visited[bit / 64] & (1 << (bit % 64)) != 0 {
                    break;
                }
                visited[bit / 64] |= 1 << (bit % 64);
                match &self.prog[pc] {
                    Inst::Char(c) => match chars.get(pos) {
                        Some(got) if got == c || (self.fold && lower(*got) == lower(*c)) => {
                            pc += 1;
                            pos += 1;
                        }
                        _ => break,
                    },
                    Inst::Any => match chars.get(pos) {
                        Some(c) if *c != '\n' => {
                            pc += 1;
                            pos += 1;
                        }
                        _ => break,
                    },
                    Inst::Class(class) => match chars.get(pos) {
                        Some(c) if class.matches(*c, self.fold) => {
                            pc += 1;
                            pos += 1;
                        }
                        _ => break,
                    },
                    Inst::Split(a, b) => {
                        stack.push(Job::Visit(*b, pos));
                        pc = *a;
                    }
                    Inst::Jmp(to) => pc = *to,
                    Inst::Save(slot) => {
                        stack.push(Job::Restore(*slot, slots[*slot]));
                        slots[*slot] = Some(pos);
                        pc += 1;
                    }
                    Inst::Bol => {
                        if pos == 0 {
                            pc += 1;
                        } else {
                            break;
                        }
                    }
                    Inst::Eol => {
                        if pos == chars.len() {
                            pc += 1;
                        } else {
                            break;
                        }
                    }
                    Inst::Match => {
                        if full && pos != chars.len() {
                            break;
                        }
                        let mut found = slots.clone();
                        found[1] = Some(pos);
                        return Some(found);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(p: &str, t: &str) -> bool {
        Regex::new(p).expect("valid pattern").is_full_match(t)
    }

    #[test]
    fn full_matches_are_anchored() {
        assert!(full(".*@example\\.com", "dade@example.com"));
        assert!(!full("example", "dade@example.com"));
        assert!(full("[a-z]+\\d{2,3}", "abc123"));
        assert!(!full("[a-z]+\\d{2,3}", "abc1234"));
        assert!(full("(ab|cd)*x?", "abcdab"));
        assert!(full("(?i)DADE.*", "dade murphy"));
        assert!(full("[^0-9]+", "no digits"));
        assert!(!full("[^0-9]+", "d1git"));
        assert!(full("a{2}b{0,}c?", "aabbb"));
    }

    #[test]
    fn replaces_like_java() {
        let r = Regex::new("(\\w+)@(\\w+)").expect("valid");
        assert_eq!(
            r.replace_all("dade@acme, kate@gibson", "$2:$1"),
            "acme:dade, gibson:kate"
        );
        let r = Regex::new("[^\\x00-\\x7F]").expect("valid");
        assert_eq!(r.replace_all("Zoë Ångström", ""), "Zo ngstrm");
        let r = Regex::new("(\\|)|(\n)|(||)").expect("valid");
        // Java: an empty match right after a non-empty one counts too ("abc".replaceAll("b*", "-")).
        assert_eq!(r.replace_all("a|b\nc", " "), " a  b  c ");
        let r = Regex::new("b*").expect("valid");
        assert_eq!(r.replace_all("abc", "-"), "-a--c-");
        let r = Regex::new("x*").expect("valid");
        assert_eq!(r.replace_all("abc", "-"), "-a-b-c-");
    }

    #[test]
    fn hostile_patterns_finish() {
        let text = "a".repeat(5000) + "!";
        assert!(!full("(a*)*b", &text));
        assert!(!full("(a|aa)+$", &text));
    }

    #[test]
    fn random_patterns_never_panic() {
        use rand::{RngExt, SeedableRng};
        let alphabet: Vec<char> = "ab.()[]^$|*+?{}0123,\\-dws:xé".chars().collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..5000 {
            let len = rng.random_range(0..16);
            let pattern: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            if let Ok(r) = Regex::new(&pattern) {
                let _ = r.is_full_match("ab0-éxab");
                let _ = r.replace_all("ab0-é xab", "[$1$0\\$]");
            }
        }
    }

    #[test]
    fn bad_patterns_say_where() {
        let err = Regex::new("ab(c").expect_err("unbalanced");
        assert!(err.contains("missing )"), "{err}");
        assert!(Regex::new("*a").is_err());
        assert!(Regex::new("[z-a]").is_err());
        assert!(Regex::new("a{3,1}").is_err());
        assert!(
            Regex::new(&"(".repeat(10_000))
                .expect_err("deep")
                .contains("too deeply")
        );
    }
}
