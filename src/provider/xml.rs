//! STS answers read with `roxmltree`, into a small owned tree that the STS
//! flows walk by element name.
//!
//! Limits: documents over [`MAX_XML`] bytes, with more than [`MAX_NODES`]
//! nodes or elements nested deeper than [`MAX_DEPTH`] are refused.
//! Document type declarations are refused (roxmltree's default), so no
//! entity is ever expanded; only the five predefined entities and
//! character references are decoded. Namespace prefixes are resolved and
//! dropped: elements are known by their local names.

/// The largest document accepted, in bytes.
const MAX_XML: usize = 256 * 1024;
/// The most nodes (elements, text, comments) accepted.
const MAX_NODES: u32 = 16 * 1024;
/// The deepest nesting accepted.
const MAX_DEPTH: usize = 32;

/// An element: its local name, its text and its child elements.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Follows a path of child names.
    pub(crate) fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// The first element named `name` in document order, this one included,
    /// searched without recursion.
    pub(crate) fn find(&self, name: &str) -> Option<&Element> {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if e.name == name {
                return Some(e);
            }
            stack.extend(e.children.iter().rev());
        }
        None
    }

    /// The trimmed text of the child at `names`.
    pub(crate) fn text_at(&self, names: &[&str]) -> Option<&str> {
        self.path(names).map(|e| e.text.trim())
    }
}

/// Parses a document into its root element.
pub(crate) fn parse(text: &str) -> Result<Element, String> {
    if text.len() > MAX_XML {
        return Err(format!("the document is larger than {MAX_XML} bytes"));
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => "document type declarations are not accepted".to_owned(),
        roxmltree::Error::NodesLimitReached => {
            format!("the document has more than {MAX_NODES} nodes")
        }
        other => format!("malformed XML: {other}"),
    })?;
    convert(doc.root_element())
}

/// Copies the element tree, without recursion, refusing deep nesting.
fn convert(root: roxmltree::Node<'_, '_>) -> Result<Element, String> {
    // Each stack entry: the node, and the index of its copy's parent in `built`.
    let mut built: Vec<(Element, Option<usize>)> = Vec::new();
    let mut stack = vec![(root, None::<usize>, 1usize)];
    while let Some((node, parent, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(format!("elements nest deeper than {MAX_DEPTH}"));
        }
        let mut element = Element {
            name: node.tag_name().name().to_owned(),
            ..Element::default()
        };
        for child in node.children() {
            if child.is_text() {
                element.text.push_str(child.text().unwrap_or(""));
            }
        }
        let index = built.len();
        built.push((element, parent));
        // Children go on the stack in reverse, so they are built in order.
        let children: Vec<_> = node.children().filter(|c| c.is_element()).collect();
        for child in children.into_iter().rev() {
            stack.push((child, Some(index), depth + 1));
        }
    }
    // Attach each element to its parent, last first: a child always comes
    // after its parent in `built`, and siblings come in document order.
    while built.len() > 1 {
        let Some((element, parent)) = built.pop() else {
            break;
        };
        let parent = parent.ok_or("a nested element has no parent")?;
        let Some((p, _)) = built.get_mut(parent) else {
            return Err("a nested element has no parent".to_owned());
        };
        p.children.insert(0, element);
    }
    built
        .pop()
        .map(|(e, _)| e)
        .ok_or_else(|| "the document has no element".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_text_and_entities() {
        let doc = r#"<?xml version="1.0"?>
<a:Root xmlns:a="urn:x" attr='1&gt;2'><!-- c --><B>x &amp; y &#65;&#x42;</B><C/><D><![CDATA[<raw>]]></D><E><F>1</F><F>2</F></E></a:Root>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Root");
        assert_eq!(root.text_at(&["B"]), Some("x & y AB"));
        assert_eq!(root.text_at(&["C"]), Some(""));
        assert_eq!(root.text_at(&["D"]), Some("<raw>"));
        let e = root.child("E").unwrap();
        let f: Vec<_> = e.children.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(f, ["1", "2"]);
        assert_eq!(
            root.children
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["B", "C", "D", "E"]
        );
        assert_eq!(root.find("F").map(|f| f.text.as_str()), Some("1"));
    }

    #[test]
    fn rejects_malformed_documents() {
        for doc in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "text",
            "<!DOCTYPE x [<!ENTITY e 'x'>]><a>&e;</a>",
            "<!DOCTYPE x><a/>",
            "<a>&bogus;</a>",
            "<a b='>",
            "</a>",
            "<>",
            "<p:a/>",
        ] {
            assert!(parse(doc).is_err(), "{doc:?} was accepted");
        }
    }

    #[test]
    fn a_reference_to_no_character_reads_as_the_replacement_character() {
        // roxmltree's reading: the text stays readable, nothing else changes.
        let root = parse("<a>x&#xFFFFFFFF;y</a>").unwrap();
        assert_eq!(root.text, "x\u{fffd}y");
    }

    #[test]
    fn entity_expansion_is_refused() {
        // The billion laughs: refused at the declaration, before expansion.
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><l>&c;</l>";
        let err = parse(laughs).unwrap_err();
        assert!(err.contains("document type"), "{err}");
    }

    #[test]
    fn limits_depth_size_and_nodes() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().contains("deeper"));
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let big = format!("<a>{}</a>", "x".repeat(MAX_XML));
        assert!(parse(&big).unwrap_err().contains("larger"));
        let many = format!("<a>{}</a>", "<b/>".repeat(MAX_NODES as usize));
        assert!(parse(&many).unwrap_err().contains("nodes"));
    }
}
