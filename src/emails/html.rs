//! An email's HTML body made safe to show (§7.1, issue 10): cleaned with `ammonia` (no script, style,
//! form, frame, object or event-handler attribute; links only to http, https and mailto, opening
//! outside the CRM), remote images held back until the user asks (a tracking pixel tells the sender
//! the letter was read), and the result shown in a sandboxed `<iframe srcdoc>` without scripts or
//! same-origin rights (`views::emails`). The page's CSP blocks remote images as well unless the user
//! asked to see them (`emails::page`).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A cleaned body and how many remote images were held back.
pub struct Clean {
    pub html: String,
    pub blocked_images: usize,
}

/// Where `cid:` images point: the email's id and the sealed `k` of `emails::inline`.
pub struct Inline {
    pub email: i64,
    pub k: String,
}

/// Cleans `html`. With `show_images`, `http(s)` images stay (the page then allows them);
/// otherwise their source is removed and counted. `cid:` images (parts of the stored original)
/// point at `emails::inline`'s route when `inline` is given (the email has its original), and
/// otherwise show their alternative text; a `cid:` anywhere but an image source is removed.
pub fn clean(html: &str, show_images: bool, inline: Option<Inline>) -> Clean {
    let blocked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = blocked.clone();
    let out = {
        let mut b = ammonia::Builder::default();
        // `cid` passes ammonia's scheme check only to reach the filter below, which rewrites or drops it.
        b.url_schemes(HashSet::from(["http", "https", "mailto", "cid"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            .set_tag_attribute_value("a", "target", "_blank")
            .attribute_filter(move |element, attribute, value| {
                let cid = value.trim_start().get(..4).is_some_and(|s| s.eq_ignore_ascii_case("cid:"));
                if cid {
                    return match (&inline, element == "img" && attribute == "src") {
                        (Some(i), true) => super::inline::rewrite(value, i.email, &i.k),
                        _ => None,
                    };
                }
                if element == "img" && attribute == "src" {
                    let remote = {
                        let v = value.trim_start().to_ascii_lowercase();
                        v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")
                    };
                    if remote && !show_images {
                        counter.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    if !remote {
                        // data: and relative sources: nothing to load from here.
                        return None;
                    }
                }
                Some(value.into())
            });
        b.clean(html).to_string()
    };
    Clean { html: out, blocked_images: blocked.load(Ordering::Relaxed) }
}

/// The document the frame shows: the cleaned body with a base target (links open in a new tab, the
/// frame may open popups but never run a script).
pub fn frame_document(clean_html: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><base target=\"_blank\"></head><body>{clean_html}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_javascript_links_and_remote_images_are_removed() {
        let dirty = r#"<p onclick="x()">Hi<script>alert(1)</script></p>
            <a href="javascript:alert(2)">bad</a><a href="https://example.com/x">good</a>
            <img src="https://tracker.example/p.gif" onerror="alert(3)"><img src="cid:logo@x">
            <form action="https://evil.example"><input name="p"></form><iframe src="https://evil.example"></iframe>
            <style>body{background:url(https://t.example/s)}</style><div style="background:url(https://t.example/d)">d</div>"#;
        let c = clean(dirty, false, None);
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript",
            "tracker.example",
            "<form",
            "<iframe",
            "<style",
            "t.example",
            "<input",
        ] {
            assert!(!c.html.contains(bad), "{bad} left in {}", c.html);
        }
        assert!(c.html.contains("https://example.com/x"), "{}", c.html);
        assert_eq!(c.blocked_images, 1);
        let shown = clean(dirty, true, None);
        assert!(shown.html.contains("https://tracker.example/p.gif") && !shown.html.contains("onerror"));
        assert_eq!(shown.blocked_images, 0);
        assert!(!c.html.contains("cid:") && !shown.html.contains("cid:"), "{}", c.html);
    }

    #[test]
    fn cid_images_point_at_the_stored_original_and_other_cid_uses_go() {
        let dirty = r#"<img src="cid:logo@x" alt="Logo"><a href="cid:logo@x">l</a><img src="cid:a b">"#;
        let c = clean(dirty, false, Some(Inline { email: 5, k: "v1:k:z".into() }));
        assert!(c.html.contains(r#"<img src="/emails/5/inline/logo%40x?k=v1%3Ak%3Az" alt="Logo">"#), "{}", c.html);
        assert!(c.html.contains(r#"<a rel="noopener noreferrer nofollow" target="_blank">l</a>"#), "{}", c.html);
        assert!(c.html.contains("/emails/5/inline/a%20b?"), "{}", c.html);
        assert_eq!(c.blocked_images, 0);
    }
}
