//! A minimal, non-validating XML reader for STS responses: elements, text,
//! CDATA, comments, processing instructions and the five predefined
//! entities plus character references. No DTDs (so no entity expansion).

/// The largest document accepted, in bytes.
const MAX_XML: usize = 256 * 1024;
/// The deepest nesting accepted.
const MAX_DEPTH: usize = 32;

/// An element: its local name (namespace prefix removed), its text and its children.
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rest = text;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = skip_past(after, "?>")?;
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = skip_past(after, "-->")?;
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").ok_or("unterminated CDATA section")?;
            let top = stack.last_mut().ok_or("CDATA outside an element")?;
            top.text.push_str(after.get(..end).unwrap_or(""));
            rest = after.get(end + 3..).unwrap_or("");
        } else if rest.starts_with("<!") {
            return Err("document type declarations are not supported".to_owned());
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("unterminated end tag")?;
            let name = after.get(..end).unwrap_or("").trim();
            let element = stack.pop().ok_or("end tag without a start tag")?;
            if local(name) != element.name {
                return Err(format!(
                    "end tag </{name}> does not match <{}>",
                    element.name
                ));
            }
            attach(&mut stack, &mut root, element)?;
            rest = after.get(end + 1..).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = tag_end(after).ok_or("unterminated start tag")?;
            let inner = after.get(..end).unwrap_or("");
            rest = after.get(end + 1..).unwrap_or("");
            let (inner, self_closing) = match inner.strip_suffix('/') {
                Some(i) => (i, true),
                None => (inner, false),
            };
            let name = inner
                .split(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or("");
            if name.is_empty() || name.contains(['<', '>', '"', '\'', '=', '&']) {
                return Err(format!("invalid element name {:?}", super::short(name)));
            }
            let element = Element {
                name: local(name).to_owned(),
                ..Element::default()
            };
            if self_closing {
                attach(&mut stack, &mut root, element)?;
            } else {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nest deeper than {MAX_DEPTH}"));
                }
                if root.is_some() && stack.is_empty() {
                    return Err("more than one root element".to_owned());
                }
                stack.push(element);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let raw = rest.get(..end).unwrap_or("");
            rest = rest.get(end..).unwrap_or("");
            match stack.last_mut() {
                Some(top) => decode_into(raw, &mut top.text)?,
                None if raw.trim().is_empty() => {}
                None => return Err("text outside the root element".to_owned()),
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("element <{}> is not closed", open.name));
    }
    root.ok_or_else(|| "the document has no element".to_owned())
}

fn skip_past<'a>(text: &'a str, marker: &str) -> Result<&'a str, String> {
    let end = text
        .find(marker)
        .ok_or_else(|| format!("missing {marker:?}"))?;
    Ok(text.get(end + marker.len()..).unwrap_or(""))
}

/// The index of the `>` that ends a start tag, skipping quoted attribute values.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, '<') => return None,
            (None, _) => {}
        }
    }
    None
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(element);
            Ok(())
        }
        None if root.is_none() => {
            *root = Some(element);
            Ok(())
        }
        None => Err("more than one root element".to_owned()),
    }
}

/// Appends `raw` with its entity and character references decoded.
fn decode_into(raw: &str, out: &mut String) -> Result<(), String> {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        let after = rest.get(amp + 1..).unwrap_or("");
        let semi = after
            .find(';')
            .filter(|&i| i <= 10)
            .ok_or("unterminated entity reference")?;
        let name = after.get(..semi).unwrap_or("");
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) =
                    name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{};", super::short(name)))?
            }
        };
        out.push(c);
        rest = after.get(semi + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_text_and_entities() {
        let doc = r#"<?xml version="1.0"?>
<a:Root xmlns:a="urn:x" attr='1>2'><!-- c --><B>x &amp; y &#65;&#x42;</B><C/><D><![CDATA[<raw>]]></D></a:Root>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Root");
        assert_eq!(root.text_at(&["B"]), Some("x & y AB"));
        assert_eq!(root.text_at(&["C"]), Some(""));
        assert_eq!(root.text_at(&["D"]), Some("<raw>"));
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
            "<a>&bogus;</a>",
            "<a>&#xFFFFFFFF;</a>",
            "<a b='>",
            "</a>",
            "<>",
        ] {
            assert!(parse(doc).is_err(), "{doc:?} was accepted");
        }
    }

    #[test]
    fn limits_depth() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
