//! A small, bounded XML reader over quick-xml for the two documents this
//! crate handles (isComposing, IMDN), and the escaping their writers use.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// An XML document (isComposing or IMDN) that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document is not UTF-8.
    #[error("the document is not UTF-8")]
    NotUtf8,
    /// The document is not well-formed XML.
    #[error("malformed XML at byte {offset}: {message}")]
    Syntax {
        /// Where the reader stopped.
        offset: u64,
        /// What the XML reader said.
        message: String,
    },
    /// The root element is not the expected one in the expected namespace.
    #[error("expected a root element <{name}> in namespace {namespace}")]
    Root {
        /// The expected local name.
        name: &'static str,
        /// The expected namespace URI.
        namespace: &'static str,
    },
    /// A required element is missing.
    #[error("missing element <{0}>")]
    Missing(&'static str),
    /// An element that may appear once appears again.
    #[error("element <{0}> appears more than once")]
    Duplicate(&'static str),
    /// An element's content does not match its type.
    #[error("element <{element}>: {reason}")]
    Value {
        /// The element.
        element: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// Elements nested deeper than the reader allows.
    #[error("elements nested deeper than {0} levels")]
    TooDeep(usize),
    /// More elements than the reader allows.
    #[error("more than {0} elements")]
    TooManyElements(usize),
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production): no
/// controls but HTAB, LF and CR, and neither U+FFFE nor U+FFFF.
fn is_xml_char(c: char) -> bool {
    !matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Whether XML 1.0 can carry all of `text`.
pub(crate) fn is_xml_text(text: &str) -> bool {
    text.chars().all(is_xml_char)
}

/// `text` without the XML white space (`S`: SP, HTAB, LF, CR) around it;
/// other Unicode spaces are content.
pub(crate) fn trim(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r'])
}

/// Deepest nesting read.
const MAX_DEPTH: usize = 16;
/// Most elements read.
const MAX_ELEMENTS: usize = 512;

/// An element: namespace URI, local name, text content (character data of
/// the element itself, references resolved) and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Self>,
}

impl Element {
    /// The children in namespace `ns`.
    pub(crate) fn children_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a Self> {
        self.children
            .iter()
            .filter(move |c| c.namespace.as_deref() == Some(ns))
    }

    /// The only child `name` in namespace `ns`, if any.
    pub(crate) fn child<'a>(
        &'a self,
        ns: &'a str,
        name: &'static str,
    ) -> Result<Option<&'a Self>, DocumentError> {
        let mut found = self.children_in(ns).filter(|c| c.name == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(DocumentError::Duplicate(name));
        }
        Ok(first)
    }
}

/// Reads a document whose root must be `name` in namespace `ns`.
pub(crate) fn read(
    input: &[u8],
    ns: &'static str,
    name: &'static str,
) -> Result<Element, DocumentError> {
    let text = std::str::from_utf8(input).map_err(|_| DocumentError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut count = 0;
    loop {
        let syntax = |e: quick_xml::Error, reader: &NsReader<&[u8]>| DocumentError::Syntax {
            offset: reader.buffer_position(),
            message: e.to_string(),
        };
        let (resolved, event) = match reader.read_resolved_event() {
            Ok(ok) => ok,
            Err(e) => return Err(syntax(e, &reader)),
        };
        let namespace = match resolved {
            ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
            _ => None,
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root.is_some() {
                    return Err(DocumentError::Syntax {
                        offset: reader.buffer_position(),
                        message: "content after the root element".into(),
                    });
                }
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(DocumentError::TooManyElements(MAX_ELEMENTS));
                }
                if stack.len() == MAX_DEPTH {
                    return Err(DocumentError::TooDeep(MAX_DEPTH));
                }
                let local = start.local_name();
                let element = Element {
                    namespace,
                    name: local.as_ref().to_owned(),
                    ..Element::default()
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(element);
                } else {
                    close(element, &mut stack, &mut root);
                }
            }
            Event::End(_) => {
                if let Some(element) = stack.pop() {
                    close(element, &mut stack, &mut root);
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                check_chars(&text, &reader)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::CData(c) => {
                let text = c.xml10_content();
                check_chars(&text, &reader)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*r.xml10_content() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(DocumentError::Syntax {
                                offset: reader.buffer_position(),
                                message: format!("unknown entity &{other};"),
                            });
                        }
                    },
                    Err(e) => return Err(syntax(e, &reader)),
                };
                check_chars(c.encode_utf8(&mut [0; 4]), &reader)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    match root {
        Some(root) if root.namespace.as_deref() == Some(ns) && root.name == name => Ok(root),
        _ => Err(DocumentError::Root {
            name,
            namespace: ns,
        }),
    }
}

fn check_chars(text: &str, reader: &NsReader<&[u8]>) -> Result<(), DocumentError> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        Some(c) => Err(DocumentError::Syntax {
            offset: reader.buffer_position(),
            message: format!("character {c:?} is not allowed in XML"),
        }),
        None => Ok(()),
    }
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

/// Appends `text` escaped for element content: `&`, `<`, `>`, CR as a
/// character reference (so that a reader's line-end normalisation keeps
/// it), and without the characters XML 1.0 cannot carry at all (controls
/// other than HTAB, LF and CR; U+FFFE, U+FFFF), which are dropped.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if !is_xml_char(c) => {}
            c => out.push(c),
        }
    }
}

/// Appends `<name>text</name>`.
pub(crate) fn text_element(name: &str, text: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The XML declaration both documents start with.
pub(crate) const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_tree_with_namespaces_and_references() {
        let doc = br#"<?xml version='1.0' encoding='UTF-8'?>
            <p:a xmlns:p="urn:x" xmlns="urn:y"><b>1 &amp; &#x32;<![CDATA[<3>]]></b><p:c/></p:a>"#;
        let root = read(doc, "urn:x", "a").unwrap();
        assert_eq!(root.children.len(), 2);
        assert_eq!(root.children[0].namespace.as_deref(), Some("urn:y"));
        assert_eq!(root.children[0].text, "1 & 2<3>");
        assert_eq!(
            root.child("urn:x", "c").unwrap().map(|c| c.name.as_str()),
            Some("c")
        );
    }

    #[test]
    fn refuses_what_is_not_the_document() {
        assert_eq!(
            read(b"<a xmlns='urn:z'/>", "urn:x", "a").unwrap_err(),
            DocumentError::Root {
                name: "a",
                namespace: "urn:x"
            }
        );
        assert!(matches!(
            read(b"<a xmlns='urn:x'>", "urn:x", "a"),
            Err(DocumentError::Syntax { .. }) | Err(DocumentError::Root { .. })
        ));
        assert!(matches!(
            read(b"<a xmlns='urn:x'></b>", "urn:x", "a"),
            Err(DocumentError::Syntax { .. })
        ));
        assert!(matches!(
            read(b"<a xmlns='urn:x'>&foo;</a>", "urn:x", "a"),
            Err(DocumentError::Syntax { .. })
        ));
        for bad in [
            "<a xmlns='urn:x'>\u{0}</a>",
            "<a xmlns='urn:x'>&#1;</a>",
            "<a xmlns='urn:x'><![CDATA[\u{1f}]]></a>",
        ] {
            assert!(
                matches!(
                    read(bad.as_bytes(), "urn:x", "a"),
                    Err(DocumentError::Syntax { .. })
                ),
                "{bad:?}"
            );
        }
        let deep = format!("{}{}", "<a xmlns='urn:x'>".repeat(20), "</a>".repeat(20));
        assert_eq!(
            read(deep.as_bytes(), "urn:x", "a").unwrap_err(),
            DocumentError::TooDeep(MAX_DEPTH)
        );
        assert_eq!(
            read(b"\xff", "urn:x", "a").unwrap_err(),
            DocumentError::NotUtf8
        );
    }

    #[test]
    fn escaping_survives_reading() {
        let text = "a<b>&c\r\n\t\u{1}é\u{ffff}";
        let mut doc = String::from("<a xmlns='urn:x'>");
        escape_into(text, &mut doc);
        doc.push_str("</a>");
        // What XML cannot carry is dropped; the rest comes back.
        assert_eq!(
            read(doc.as_bytes(), "urn:x", "a").unwrap().text,
            "a<b>&c\r\n\té"
        );
    }
}
