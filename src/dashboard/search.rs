//! What a person types in the Users view's search box, as the `q` (Lucene syntax, search
//! engine v3) the Management API's `GET /api/v2/users` takes.
//!
//! Auth0's dashboard puts a "Search by" menu beside its search box — User, Email, Connection,
//! … and "Lucene Syntax (Advanced)" — and documents "User" as the search by user ID and
//! "Email" as the search by email address (auth0 docs: manage-users/user-search/
//! list-and-search-users and get-users-by-id-or-email). The query each choice sends is not
//! published. Auth0's own Users-page extension (Delegated Administration,
//! `server/routes/users.js`) sends a chosen field as `field:"text"` and free text unchanged,
//! with `search_engine=v3` and `include_totals=true`. From those, and the query syntax page
//! (normalized fields match case-insensitively; `name:john*` finds names starting with
//! `john`; a space inside a term is escaped, `name:John\ Doe`), this dashboard builds:
//!
//! | Search by | `q` for `jane`                                                            |
//! |-----------|----------------------------------------------------------------------------|
//! | User      | `user_id:"jane" OR email:jane* OR name:jane* OR nickname:jane*`             |
//! | Email     | `email:jane*`                                                              |
//! | Connection| `identities.connection:"jane"`                                            |
//! | Lucene    | `jane`, as typed                                                           |
//!
//! Prefixes rather than Auth0's exact `field:"text"`, because a person types the start of an
//! address or a name; a complete one is a prefix of itself. The page shows the `q` it sent,
//! so what was searched is never a guess.

/// The "Search by" choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SearchBy {
    User,
    Email,
    Connection,
    Lucene,
}

impl SearchBy {
    /// The `by` parameter's value; `None` for an unknown one.
    pub(crate) fn parse(by: Option<&str>) -> Option<Self> {
        match by.unwrap_or("user") {
            "user" => Some(Self::User),
            "email" => Some(Self::Email),
            "connection" => Some(Self::Connection),
            "lucene" => Some(Self::Lucene),
            _ => None,
        }
    }
}

/// The `q` for `text`; `None` (list every user) when there is nothing to search for.
pub(crate) fn query(text: &str, by: SearchBy) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match by {
        SearchBy::User => {
            let prefix = escape(text);
            format!(
                "user_id:{} OR email:{prefix}* OR name:{prefix}* OR nickname:{prefix}*",
                quote(text)
            )
        }
        SearchBy::Email => format!("email:{}*", escape(text)),
        SearchBy::Connection => format!("identities.connection:{}", quote(text)),
        SearchBy::Lucene => text.to_owned(),
    })
}

/// Lucene's special characters (and white space) backslash-escaped, so that the text is one
/// term, searched literally.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_whitespace() || "+-&|!(){}[]^\"~*?:\\/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A quoted phrase: `"` and `\` escaped.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_searches_id_email_name_and_nickname() {
        assert_eq!(
            query(" jane ", SearchBy::User).as_deref(),
            Some("user_id:\"jane\" OR email:jane* OR name:jane* OR nickname:jane*")
        );
        assert_eq!(
            query("Jane Doe", SearchBy::User).as_deref(),
            Some("user_id:\"Jane Doe\" OR email:Jane\\ Doe* OR name:Jane\\ Doe* OR nickname:Jane\\ Doe*")
        );
        assert_eq!(query("   ", SearchBy::User), None);
    }

    #[test]
    fn special_characters_are_searched_literally() {
        assert_eq!(
            query("auth0|a\"b", SearchBy::User).as_deref(),
            Some(
                "user_id:\"auth0|a\\\"b\" OR email:auth0\\|a\\\"b* OR name:auth0\\|a\\\"b* OR nickname:auth0\\|a\\\"b*"
            )
        );
        assert_eq!(
            query("a:b(c)*", SearchBy::Email).as_deref(),
            Some("email:a\\:b\\(c\\)\\**")
        );
    }

    #[test]
    fn each_choice_builds_its_query() {
        assert_eq!(query("kate@", SearchBy::Email).as_deref(), Some("email:kate@*"));
        assert_eq!(
            query("okta-users", SearchBy::Connection).as_deref(),
            Some("identities.connection:\"okta-users\"")
        );
        assert_eq!(
            query("logins_count:[2 TO *]", SearchBy::Lucene).as_deref(),
            Some("logins_count:[2 TO *]")
        );
        assert_eq!(SearchBy::parse(None), Some(SearchBy::User));
        assert_eq!(SearchBy::parse(Some("lucene")), Some(SearchBy::Lucene));
        assert_eq!(SearchBy::parse(Some("sql")), None);
    }
}
