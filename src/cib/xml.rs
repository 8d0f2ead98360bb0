//! A small, lossless-enough XML element tree for CIB documents.
//!
//! The typed model in `cib::model` is built from this tree, and writes (patches, replaced
//! sections) go back through it, so elements and attributes pgcrm does not know survive a
//! round trip. This module knows nothing of Pacemaker semantics.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;
use std::fmt::Write as _;

/// One XML element: its name, its attributes in document order, its child elements and the
/// text directly inside it (CIB documents carry almost none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

/// Why a document could not be read as XML. `position` is a byte offset into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {position})")]
pub struct XmlError {
    pub message: String,
    pub position: u64,
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    /// Builder-style attribute setter, for requests and tests.
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let pos = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(pos).1)
    }

    /// The `id` attribute, or "" when there is none.
    pub fn id(&self) -> &str {
        self.attr("id").unwrap_or("")
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of child element names, e.g. `["configuration", "nodes"]`.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    pub fn path_mut(&mut self, names: &[&str]) -> Option<&mut Element> {
        let mut e = self;
        for n in names {
            e = e.child_mut(n)?;
        }
        Some(e)
    }

    /// Depth-first search for the first element (self included) with this `id`.
    pub fn find_by_id(&self, id: &str) -> Option<&Element> {
        if self.attr("id") == Some(id) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find_by_id(id))
    }

    /// Parses a whole document and returns its root element.
    ///
    /// Every `Vec` of the tree is allocated once (children and attributes are gathered in
    /// scratch space first): a live CIB is parsed by every command and every agent monitor,
    /// and growing vectors element by element was a fifth of the parse.
    pub fn parse(input: &str) -> Result<Element, XmlError> {
        let mut reader = Reader::from_str(input);
        reader.config_mut().trim_text(true);
        // open elements, each with where its children start in `pending`
        let mut open: Vec<(Element, usize)> = Vec::new();
        // finished elements whose parent is still open, in document order
        let mut pending: Vec<Element> = Vec::new();
        let mut attrs: Vec<(String, String)> = Vec::new();
        let mut root: Option<Element> = None;
        let err = |reader: &Reader<&[u8]>, message: String| XmlError {
            message,
            position: reader.buffer_position(),
        };
        loop {
            let event = reader
                .read_event()
                .map_err(|e| err(&reader, e.to_string()))?;
            match event {
                Event::Start(start) => {
                    let element = start_element(input, &start, &mut attrs, &reader)?;
                    open.push((element, pending.len()));
                }
                Event::Empty(start) => {
                    let element = start_element(input, &start, &mut attrs, &reader)?;
                    attach(&open, &mut pending, &mut root, element, &reader)?;
                }
                Event::End(_) => {
                    let (mut element, first_child) = open
                        .pop()
                        .ok_or_else(|| err(&reader, "unexpected closing tag".into()))?;
                    element.children = moved_out(&mut pending, first_child);
                    attach(&open, &mut pending, &mut root, element, &reader)?;
                }
                Event::Text(text) => {
                    if let Some((top, _)) = open.last_mut() {
                        let t = text.unescape().map_err(|e| err(&reader, e.to_string()))?;
                        top.text.push_str(&t);
                    } else if !text.iter().all(u8::is_ascii_whitespace) {
                        return Err(err(&reader, "text outside the root element".into()));
                    }
                }
                Event::CData(data) => {
                    if let Some((top, _)) = open.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&data));
                    }
                }
                Event::Eof => break,
                // Declarations, comments, processing instructions and doctypes carry nothing
                // the CIB model needs.
                _ => {}
            }
        }
        if let Some((outermost, _)) = open.first() {
            return Err(err(
                &reader,
                format!("unexpected end of document inside <{}>", outermost.name),
            ));
        }
        root.ok_or_else(|| err(&reader, "no root element".into()))
    }

    /// Serialises the element (and its subtree) without an XML declaration.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_xml(&mut out, None, 0);
        out
    }

    /// Serialises with two-space indentation, one element per line, as `cibadmin -Q` does.
    pub fn to_xml_pretty(&self) -> String {
        let mut out = String::new();
        self.write_xml(&mut out, Some(2), 0);
        out
    }

    fn write_xml(&self, out: &mut String, indent: Option<usize>, depth: usize) {
        if let Some(step) = indent {
            out.extend(std::iter::repeat_n(' ', step * depth));
        }
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {}=\"{}\"", k, escape(v));
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
        } else {
            out.push('>');
            out.push_str(&escape(&self.text));
            if !self.children.is_empty() && indent.is_some() {
                out.push('\n');
            }
            for c in &self.children {
                c.write_xml(out, indent, depth + 1);
            }
            if let (Some(step), false) = (indent, self.children.is_empty()) {
                out.extend(std::iter::repeat_n(' ', step * depth));
            }
            out.push_str("</");
            out.push_str(&self.name);
            out.push('>');
        }
        if indent.is_some() {
            out.push('\n');
        }
    }
}

/// Escapes text for use inside a double-quoted XML attribute value.
///
/// Besides the five predefined entities it encodes TAB, LF and CR as character references,
/// so that attribute-value normalisation in the daemon's parser keeps them.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\t' | b'\n' | b'\r'))
    {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' => o.push_str("&#9;"),
            '\n' => o.push_str("&#10;"),
            '\r' => o.push_str("&#13;"),
            _ => o.push(c),
        }
    }
    Cow::Owned(o)
}

/// The element a start tag of `input` opens, without children. `scratch` is reused between
/// calls so that the attribute list is allocated once.
fn start_element(
    input: &str,
    start: &BytesStart,
    scratch: &mut Vec<(String, String)>,
    reader: &Reader<&[u8]>,
) -> Result<Element, XmlError> {
    let fail = |message: String| XmlError {
        message,
        position: reader.buffer_position(),
    };
    let mut element = Element::new(utf8(input, start.name().as_ref()).map_err(fail)?);
    scratch.clear();
    // duplicate names are checked below, without quick-xml's per-element allocation
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| fail(e.to_string()))?;
        let key = utf8(input, attr.key.as_ref()).map_err(fail)?;
        if scratch.iter().any(|(k, _)| k == key) {
            return Err(fail(format!("duplicate attribute {key:?}")));
        }
        let raw = utf8(input, &attr.value).map_err(fail)?;
        let value = if raw.contains('&') {
            quick_xml::escape::unescape(raw)
                .map_err(|e| fail(e.to_string()))?
                .into_owned()
        } else {
            raw.to_owned()
        };
        scratch.push((key.to_owned(), value));
    }
    element.attrs = moved_out(scratch, 0);
    Ok(element)
}

/// Moves `from[start..]` into a new vector whose capacity is a power of two: the capacity one
/// push at a time would have reached, without the copies on the way (exact sizes would
/// spread a small CIB over more of mimalloc's size classes, each a fresh page to fault in).
fn moved_out<T>(from: &mut Vec<T>, start: usize) -> Vec<T> {
    let n = from.len() - start;
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(n.next_power_of_two().max(4));
    out.extend(from.drain(start..));
    out
}

/// `bytes` as text. Names and values are slices of the document, which is already a `str`:
/// taking the same range of it needs no second UTF-8 validation (a tenth of the parse).
fn utf8<'a>(input: &'a str, bytes: &'a [u8]) -> Result<&'a str, String> {
    let start = (bytes.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    if let Some(text) = start
        .checked_add(bytes.len())
        .filter(|&end| end <= input.len())
        .and_then(|end| input.get(start..end))
    {
        return Ok(text);
    }
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8 in a tag: {e}"))
}

/// Hands a finished element to its parent (still open) or makes it the root.
fn attach(
    open: &[(Element, usize)],
    pending: &mut Vec<Element>,
    root: &mut Option<Element>,
    element: Element,
    reader: &Reader<&[u8]>,
) -> Result<(), XmlError> {
    if !open.is_empty() {
        pending.push(element);
        Ok(())
    } else if root.is_none() {
        *root = Some(element);
        Ok(())
    } else {
        Err(XmlError {
            message: "more than one root element".into(),
            position: reader.buffer_position(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips_unknown_content() {
        let doc = r#"<?xml version="1.0"?><cib a="1&amp;2"><x-unknown y="z"><t>hi</t></x-unknown><nodes/></cib>"#;
        let root = Element::parse(doc).unwrap();
        assert_eq!(root.attr("a"), Some("1&2"));
        let accented = Element::parse(r#"<nœud état="prêt &lt;1&gt;" b="ü"/>"#).unwrap();
        assert_eq!(accented.name, "nœud");
        assert_eq!(accented.attr("état"), Some("prêt <1>"));
        assert_eq!(accented.attr("b"), Some("ü"));
        assert_eq!(root.path(&["x-unknown", "t"]).unwrap().text, "hi");
        let again = Element::parse(&root.to_xml()).unwrap();
        assert_eq!(root, again);
        let pretty = Element::parse(&root.to_xml_pretty()).unwrap();
        assert_eq!(root, pretty);
    }

    #[test]
    fn rejects_broken_documents() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "not xml",
            "<a x='1' x='2'/>",
        ] {
            assert!(Element::parse(bad).is_err(), "{bad:?} should fail");
        }
    }
}
