//! Small XML helpers for the IPC clients: an element builder that escapes every attribute
//! value, and read-only accessors for the envelope of a daemon's reply (root attributes, the
//! raw inner XML of a child such as `cib_calldata`, attributes of the first element of a name).
//!
//! These helpers only look at envelopes; they must not interpret CIB content (the CIB model
//! does that) and must not panic on malformed replies: every accessor returns an error or
//! `None` instead.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// The project's one XML escaper (it lives with the CIB's XML tree).
pub use crate::cib::xml::escape;

/// Builds one element with escaped attributes and optional raw (already XML) children.
#[derive(Debug, Clone)]
pub struct Element {
    name: &'static str,
    attrs: String,
    children: String,
}

impl Element {
    /// A new element named `name` (a fixed, valid XML name).
    pub fn new(name: &'static str) -> Element {
        Element {
            name,
            attrs: String::new(),
            children: String::new(),
        }
    }

    /// Adds `name="value"` with `value` escaped.
    pub fn attr(mut self, name: &str, value: impl AsRef<str>) -> Element {
        self.attrs.push(' ');
        self.attrs.push_str(name);
        self.attrs.push_str("=\"");
        self.attrs.push_str(&escape(value.as_ref()));
        self.attrs.push('"');
        self
    }

    /// Adds the attribute only when `value` is `Some`.
    pub fn attr_opt(self, name: &str, value: Option<impl AsRef<str>>) -> Element {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    /// Appends a child given as XML text (the caller is responsible for its well-formedness).
    pub fn raw_child(mut self, xml: &str) -> Element {
        self.children.push_str(xml);
        self
    }

    /// Appends a built child element.
    pub fn child(self, e: Element) -> Element {
        let s = e.build();
        self.raw_child(&s)
    }

    /// The serialized element.
    pub fn build(self) -> String {
        if self.children.is_empty() {
            format!("<{}{}/>", self.name, self.attrs)
        } else {
            format!("<{n}{}>{}</{n}>", self.attrs, self.children, n = self.name)
        }
    }
}

/// Checks that `xml` is one well-formed element (used to validate caller-supplied data
/// before it is embedded into a request, so a typo cannot reach the daemon as garbage).
pub fn check_single_element(xml: &str) -> Result<(), String> {
    let mut r = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match r.read_event() {
            Ok(Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(Event::Empty(_)) => {
                if depth == 0 {
                    roots += 1;
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(t)) if depth == 0 => {
                if !t.iter().all(|b| b.is_ascii_whitespace()) {
                    return Err("text outside the root element".into());
                }
            }
            Ok(Event::Decl(_)) | Ok(Event::DocType(_)) => {
                return Err("XML declaration or DOCTYPE not allowed in request data".into())
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    match (roots, depth) {
        (1, 0) => Ok(()),
        (0, _) => Err("no element".into()),
        (_, 0) => Err("more than one root element".into()),
        _ => Err("unclosed element".into()),
    }
}

/// Name and attributes (unescaped) of an element start tag.
fn attributes_of(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let val = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
        out.push((key, val));
    }
    Ok(out)
}

/// The root element of a reply: its name and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// Element name.
    pub name: String,
    /// Attributes, in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
}

impl Root {
    /// Value of attribute `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the root start tag of `xml`.
pub fn root(xml: &str) -> Result<Root, String> {
    let mut r = Reader::from_str(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return Ok(Root {
                    name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                    attrs: attributes_of(&e)?,
                })
            }
            Ok(Event::Eof) => return Err("empty document".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Raw inner XML of the first direct child of the root named `child`.
/// `Ok(None)` when there is no such child; `Ok(Some(""))` for an empty one.
pub fn child_inner<'a>(xml: &'a str, child: &str) -> Result<Option<&'a str>, String> {
    let mut r = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    loop {
        let before = r.buffer_position() as usize;
        match r.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth == 2 && start.is_none() && e.name().as_ref() == child.as_bytes() {
                    start = Some(r.buffer_position() as usize);
                }
            }
            Ok(Event::Empty(e)) => {
                if depth == 1 && start.is_none() && e.name().as_ref() == child.as_bytes() {
                    return Ok(Some(""));
                }
            }
            Ok(Event::End(_)) => {
                if depth == 2 {
                    if let Some(s) = start {
                        return xml
                            .get(s..before)
                            .map(Some)
                            .ok_or_else(|| "bad element boundaries".to_string());
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Eof) => {
                return match start {
                    Some(_) => Err(format!("unclosed <{child}>")),
                    None => Ok(None),
                }
            }
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Attributes of the first element named `name` anywhere in `xml` (depth-first order).
pub fn first_element(xml: &str, name: &str) -> Result<Option<Root>, String> {
    let mut r = Reader::from_str(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.name().as_ref() == name.as_bytes() => {
                return Ok(Some(Root {
                    name: name.to_owned(),
                    attrs: attributes_of(&e)?,
                }))
            }
            Ok(Event::Eof) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Attributes of every element named `name` anywhere in `xml`.
pub fn all_elements(xml: &str, name: &str) -> Result<Vec<Root>, String> {
    let mut r = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.name().as_ref() == name.as_bytes() => {
                out.push(Root {
                    name: name.to_owned(),
                    attrs: attributes_of(&e)?,
                })
            }
            Ok(Event::Eof) => return Ok(out),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape(r#"a&b<c>"d'e"#), "a&amp;b&lt;c&gt;&quot;d&apos;e");
        assert_eq!(escape("x\ny\tz\r"), "x&#10;y&#9;z&#13;");
    }

    #[test]
    fn builder_escapes_and_roundtrips() {
        let x = Element::new("cib_command")
            .attr("t", "cib")
            .attr("cib_section", "//nvpair[@name='a' and @value=\"<&>\"]")
            .attr_opt("cib_host", None::<&str>)
            .build();
        let r = root(&x).unwrap();
        assert_eq!(r.name, "cib_command");
        assert_eq!(
            r.get("cib_section"),
            Some("//nvpair[@name='a' and @value=\"<&>\"]")
        );
        assert_eq!(r.get("cib_host"), None);
        let y = Element::new("a")
            .child(Element::new("b").attr("v", "1"))
            .build();
        assert_eq!(y, r#"<a><b v="1"/></a>"#);
    }

    #[test]
    fn inner_of_calldata() {
        let x = r#"<cib-reply cib_rc="0"><cib_calldata><nodes><node id="1"/></nodes></cib_calldata></cib-reply>"#;
        assert_eq!(
            child_inner(x, "cib_calldata").unwrap(),
            Some(r#"<nodes><node id="1"/></nodes>"#)
        );
        assert_eq!(
            child_inner(r#"<r><cib_calldata/></r>"#, "cib_calldata").unwrap(),
            Some("")
        );
        assert_eq!(child_inner(r#"<r a="1"/>"#, "cib_calldata").unwrap(), None);
        // a nested element of the same name is not a direct child
        assert_eq!(
            child_inner(
                r#"<r><x><cib_calldata>no</cib_calldata></x></r>"#,
                "cib_calldata"
            )
            .unwrap(),
            None
        );
        assert!(child_inner(r#"<r><cib_calldata><a>"#, "cib_calldata").is_err());
    }

    #[test]
    fn single_element_check() {
        assert!(check_single_element(r#"<a b="1"><c/></a>"#).is_ok());
        assert!(check_single_element(" <a/> ").is_ok());
        assert!(check_single_element("<a/><b/>").is_err());
        assert!(check_single_element("<a>").is_err());
        assert!(check_single_element("text").is_err());
        assert!(check_single_element("").is_err());
        assert!(check_single_element(r#"<?xml version="1.0"?><a/>"#).is_err());
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "",
            "<",
            "<<>>",
            "<a b=>",
            "<a b='1' b='2'/>",
            "</x>",
            "<a>&bogus;</a>",
        ] {
            let _ = root(s);
            let _ = child_inner(s, "a");
            let _ = first_element(s, "a");
            let _ = all_elements(s, "a");
            let _ = check_single_element(s);
        }
    }
}
