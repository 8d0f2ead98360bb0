//! corosync.conf: its `section { key: value }` syntax parsed into a tree, and the few views
//! of it pgcrm needs (nodes, interfaces, totem and quorum settings).
//!
//! Parsing never guesses: unbalanced braces or a line that is neither a key, a section nor a
//! comment is an error naming the line. Reading the file and checking the authkey is the
//! caller's job; nothing here touches the file system.

use crate::{Error, Result};

/// One `name { ... }` section (the file itself is an unnamed root section).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub name: String,
    /// 1-based line of the opening brace (0 for the root).
    pub line: usize,
    pub pairs: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn sections_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| s.name == name)
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// A parsed corosync.conf and what pgcrm learnt about its surroundings.
#[derive(Debug, Clone, PartialEq)]
pub struct CorosyncConf {
    /// Where it was read from, for messages.
    pub path: String,
    pub root: Section,
    /// Whether the key file (totem.keyfile, else `authkey` next to the file) exists; `None`
    /// when not checked.
    pub authkey_present: Option<bool>,
}

impl CorosyncConf {
    pub fn parse(path: impl Into<String>, text: &str) -> Result<CorosyncConf> {
        let path = path.into();
        let bad = |line: usize, message: String| Error::CorosyncConf {
            path: path.clone(),
            line,
            message,
        };
        let mut stack: Vec<Section> = vec![Section::default()];
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_suffix('{') {
                let name = name.trim();
                if name.is_empty() || name.contains(char::is_whitespace) || name.contains(':') {
                    return Err(bad(
                        n,
                        format!("'{line}' is not a section opening ('name {{')"),
                    ));
                }
                stack.push(Section {
                    name: name.to_string(),
                    line: n,
                    ..Section::default()
                });
            } else if line == "}" {
                if stack.len() == 1 {
                    return Err(bad(n, "'}' closes no section".into()));
                }
                let done = stack.pop().expect("checked above");
                stack.last_mut().expect("root").sections.push(done);
            } else if let Some((k, v)) = line.split_once(':') {
                let k = k.trim();
                if k.is_empty() || k.contains(char::is_whitespace) {
                    return Err(bad(n, format!("'{line}' is not 'key: value'")));
                }
                stack
                    .last_mut()
                    .expect("root")
                    .pairs
                    .push((k.to_string(), v.trim().to_string()));
            } else {
                return Err(bad(
                    n,
                    format!("'{line}' is neither 'key: value', 'section {{' nor '}}'"),
                ));
            }
        }
        if stack.len() > 1 {
            let open = stack.last().expect("non-empty");
            return Err(bad(
                open.line,
                format!("section '{}' is never closed", open.name),
            ));
        }
        Ok(CorosyncConf {
            path,
            root: stack.pop().expect("root"),
            authkey_present: None,
        })
    }

    pub fn totem(&self) -> Option<&Section> {
        self.root.section("totem")
    }

    /// The `node` sections of `nodelist`.
    pub fn nodes(&self) -> Vec<&Section> {
        self.root
            .sections_named("nodelist")
            .flat_map(|l| l.sections_named("node"))
            .collect()
    }

    /// Every `ringN_addr` of the nodelist (and the old `memberaddr` of udpu interfaces).
    pub fn node_addresses(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .nodes()
            .iter()
            .flat_map(|n| {
                n.pairs
                    .iter()
                    .filter(|(k, _)| k.starts_with("ring") && k.ends_with("_addr"))
                    .map(|(_, v)| v.clone())
            })
            .collect();
        if let Some(t) = self.totem() {
            for i in t.sections_named("interface") {
                for m in i.sections_named("member") {
                    out.extend(m.get("memberaddr").map(str::to_string));
                }
            }
        }
        out
    }

    /// The name of a nodelist node: `name`, else its ring0 address.
    pub fn node_name(node: &Section) -> Option<&str> {
        node.get("name").or(node.get("ring0_addr"))
    }

    /// Where corosync reads its key: totem.keyfile, else `authkey` beside the file.
    pub fn keyfile(&self) -> std::path::PathBuf {
        match self.totem().and_then(|t| t.get("keyfile")) {
            Some(k) => k.into(),
            None => std::path::Path::new(&self.path)
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("authkey"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_pairs() {
        let c = CorosyncConf::parse(
            "x",
            "# c\ntotem {\n version: 2\n interface {\n  ringnumber: 0\n  mcastaddr: 226.94.1.1\n }\n}\nnodelist {\n node {\n  ring0_addr: 10.0.0.1\n  name: node1\n }\n}\n",
        )
        .unwrap();
        let t = c.totem().unwrap();
        assert_eq!(t.get("version"), Some("2"));
        assert_eq!(
            t.section("interface").unwrap().get("mcastaddr"),
            Some("226.94.1.1")
        );
        assert_eq!(c.node_addresses(), vec!["10.0.0.1"]);
        assert_eq!(CorosyncConf::node_name(c.nodes()[0]), Some("node1"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in [
            ("totem {\n version: 2\n", 1),
            ("}\n", 1),
            ("totem {\n what is this\n}\n", 2),
        ] {
            match CorosyncConf::parse("f.conf", text) {
                Err(Error::CorosyncConf { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
