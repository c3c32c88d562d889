//! XML text and SDMX identifiers.

/// Escapes text for an XML attribute or element.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// An SDMX identifier (`[A-Za-z0-9_@$-]+`) from free text: other characters become `_`, and an
/// empty text becomes `_`.
pub fn sdmx_id(text: &str) -> String {
    let id: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '$' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() { "_".into() } else { id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_keep_only_what_sdmx_allows() {
        assert_eq!(sdmx_id("check.production.x"), "check_production_x");
        assert_eq!(sdmx_id("province_11"), "province_11");
        assert_eq!(sdmx_id(""), "_");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
