//! Escaping text for HTML and SVG, shared by the console's error fragments, the notifier's
//! email bodies and the reporter's charts.

/// Escapes `&`, `<`, `>`, `"` and `'`, so the text is safe in element content and in quoted
/// attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn markup_and_quotes_are_escaped_and_other_text_is_kept() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom's & 溫度</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; 溫度&lt;/a&gt;"
        );
    }
}
