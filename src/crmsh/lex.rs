//! Splits crm shell text into statements of shell-like words, with each word's position.
//!
//! Follows what crmsh does with `shlex`: double and single quotes, backslash escapes,
//! `\` at the end of a line continues the statement, a line starting with `#` is a comment.
//! An `xml` statement keeps its body raw (it is XML, not words). Knows no keywords.

use super::Located;

/// One word of a statement, unquoted, with the line and column (1-based) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub line: u32,
    pub col: u32,
}

/// One logical line: the words of one object definition.
#[derive(Debug, Clone, Default)]
pub struct Statement {
    pub tokens: Vec<Token>,
    /// The body of an `xml` statement, continuations turned into newlines.
    pub raw: Option<String>,
    /// Where the statement ends (just after its last character), for "expected ..." errors.
    pub end: (u32, u32),
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    /// True when the next characters are `\`, optional blanks, then a newline or the end:
    /// a line continuation (trailing blanks after the backslash are a common slip).
    fn at_continuation(&self) -> bool {
        let mut it = self.chars.clone();
        if it.next() != Some('\\') {
            return false;
        }
        for c in it {
            match c {
                ' ' | '\t' | '\r' => continue,
                '\n' => return true,
                _ => return false,
            }
        }
        true
    }

    fn skip_continuation(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }
}

/// Splits `input` into statements. Fails on an unclosed quote, and on a character XML 1.0
/// forbids (control characters but tab and newlines, U+FFFE, U+FFFF): the CIB could not hold
/// it, and Pacemaker would refuse the whole document.
pub fn statements(input: &str) -> Result<Vec<Statement>, Located> {
    let (mut line, mut col) = (1, 1);
    for c in input.chars() {
        if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}') {
            return Err(Located::new(
                line,
                col,
                format!(
                    "character U+{:04X} cannot be stored in the CIB (XML forbids it)",
                    c as u32
                ),
            ));
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    let mut cur = Cursor {
        chars: input.chars().peekable(),
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    let mut stmt = Statement::default();
    let finish = |stmt: &mut Statement, out: &mut Vec<Statement>| {
        if !stmt.tokens.is_empty() {
            out.push(std::mem::take(stmt));
        }
    };
    while let Some(c) = cur.peek() {
        match c {
            ' ' | '\t' | '\r' => {
                cur.bump();
            }
            '\n' => {
                cur.bump();
                finish(&mut stmt, &mut out);
            }
            '\\' if cur.at_continuation() => cur.skip_continuation(),
            '#' if stmt.tokens.is_empty() => {
                while cur.peek().is_some_and(|c| c != '\n') {
                    cur.bump();
                }
            }
            _ => {
                let token = word(&mut cur)?;
                let is_xml = stmt.tokens.is_empty() && token.text == "xml";
                stmt.end = (cur.line, cur.col);
                stmt.tokens.push(token);
                if is_xml {
                    stmt.raw = Some(raw_body(&mut cur));
                    stmt.end = (cur.line, cur.col);
                    finish(&mut stmt, &mut out);
                }
            }
        }
    }
    finish(&mut stmt, &mut out);
    Ok(out)
}

fn word(cur: &mut Cursor) -> Result<Token, Located> {
    let (line, col) = (cur.line, cur.col);
    let mut text = String::new();
    while let Some(c) = cur.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => break,
            '\\' if cur.at_continuation() => break,
            '"' | '\'' => {
                let (qline, qcol) = (cur.line, cur.col);
                cur.bump();
                loop {
                    match cur.bump() {
                        None => {
                            return Err(Located::new(
                                qline,
                                qcol,
                                format!("unclosed quote ({c}): add the closing {c}"),
                            ))
                        }
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => match cur.peek() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => {
                                cur.bump();
                                text.push(e);
                            }
                            Some('\n') => {
                                cur.bump();
                            }
                            _ => text.push('\\'),
                        },
                        Some(other) => text.push(other),
                    }
                }
            }
            '\\' => {
                cur.bump();
                if let Some(e) = cur.bump() {
                    text.push(e);
                }
            }
            _ => {
                cur.bump();
                text.push(c);
            }
        }
    }
    Ok(Token { text, line, col })
}

/// The rest of an `xml` statement, up to a newline that is not continued.
fn raw_body(cur: &mut Cursor) -> String {
    let mut raw = String::new();
    while let Some(c) = cur.peek() {
        if cur.at_continuation() {
            cur.skip_continuation();
            raw.push('\n');
            continue;
        }
        cur.bump();
        if c == '\n' {
            break;
        }
        raw.push(c);
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<String>> {
        statements(s)
            .unwrap()
            .into_iter()
            .map(|st| st.tokens.into_iter().map(|t| t.text).collect())
            .collect()
    }

    #[test]
    fn quotes_continuations_and_comments() {
        let text = "# a comment\nprimitive p Dummy \\\n\tparams a=\"x y\" b='c d' e=\"q\\\"\" \\  \n\top monitor\nrule #uname eq n1\n";
        assert_eq!(
            words(text),
            vec![
                vec![
                    "primitive",
                    "p",
                    "Dummy",
                    "params",
                    "a=x y",
                    "b=c d",
                    "e=q\"",
                    "op",
                    "monitor"
                ],
                vec!["rule", "#uname", "eq", "n1"],
            ]
        );
    }

    #[test]
    fn positions_and_unclosed_quote() {
        let st = statements("node n1\n  location l r \\\n   100: n1").unwrap();
        let t = &st[1].tokens[3];
        assert_eq!((t.text.as_str(), t.line, t.col), ("100:", 3, 4));
        let e = statements("property\n a=\"b c").unwrap_err();
        assert_eq!((e.line, e.col), (2, 4));
    }

    #[test]
    fn xml_statement_is_raw() {
        let st = statements("xml <node id=\"1\" \\\n uname=\"n\"/>\nnode n").unwrap();
        assert_eq!(
            st[0].raw.as_deref(),
            Some(" <node id=\"1\" \n uname=\"n\"/>")
        );
        assert_eq!(st[1].tokens[1].text, "n");
    }
}
