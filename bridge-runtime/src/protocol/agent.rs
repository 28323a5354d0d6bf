//! Agent synchronization: agents of the external service, paginated like contacts.

use serde::{Deserialize, Serialize};

/// `meta` of an agent synchronization request: the offset of the page, absent on the first call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct AgentSyncMeta {
    /// The `next_offset` of the previous page (sent as an integer by Talkdesk; strings are accepted too).
    #[serde(default, deserialize_with = "super::id::optional")]
    pub offset: Option<String>,
}

/// An agent of the external service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The agent's id in the external service (always emitted as a string; numbers are accepted when reading).
    #[serde(deserialize_with = "super::id::required")]
    pub id: String,
    /// The agent's name.
    pub name: String,
    /// The agent's email.
    pub email: String,
}

impl Agent {
    /// An agent.
    #[inline]
    pub fn new(id: impl Into<String>, name: impl Into<String>, email: impl Into<String>) -> Self {
        Self { id: id.into(), name: name.into(), email: email.into() }
    }
}

/// One page of agents: what an agent retriever returns.
///
/// ```
/// use bridge::{Agent, AgentPage};
///
/// let page = AgentPage::new(vec![Agent::new("341231", "John Doe", "john.doe@unkn.own")]).next_offset("2");
/// assert_eq!(
///     serde_json::to_value(&page).unwrap(),
///     serde_json::json!({"agents": [{"id": "341231", "name": "John Doe", "email": "john.doe@unkn.own"}], "next_offset": "2"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPage {
    /// The agents of this page.
    pub agents: Vec<Agent>,
    /// The offset of the next page, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::id::optional")]
    pub next_offset: Option<String>,
}

impl AgentPage {
    /// A last page of agents.
    #[inline]
    pub fn new(agents: Vec<Agent>) -> Self {
        Self { agents, next_offset: None }
    }

    /// Announces a next page at `offset`.
    #[inline]
    pub fn next_offset(mut self, offset: impl Into<String>) -> Self {
        self.next_offset = Some(offset.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spec_example_with_a_numeric_id() {
        let page: AgentPage =
            serde_json::from_str(r#"{"agents": [{"id": 341231, "name": "John Doe", "email": "john.doe@unkn.own"}]}"#)
                .unwrap();
        assert_eq!(page.agents[0].id, "341231");
    }
}
