//! Everything sync keeps, behind the engine's one `RefCell`.

use keyhaven_core::model::Finding;

use super::{Notice, keyring::KeyringReplica, metadata::MetadataReplica};

/// The two replicas, and what sync keeps besides.
pub(crate) struct Replicas {
    pub keyring: KeyringReplica,
    pub metadata: MetadataReplica,
    /// When this browser last had nothing left to sync.
    pub synced_at: Option<u64>,
    /// The saved copy's generation this tab last wrote or took in.
    pub generation: u64,
    /// What the user should hear, until the app shows it.
    pub notices: Vec<Notice>,
}

impl Replicas {
    pub(crate) fn new(highest: u64) -> Self {
        Self {
            keyring: KeyringReplica::new(highest),
            metadata: MetadataReplica::default(),
            synced_at: None,
            generation: 0,
            notices: Vec::new(),
        }
    }

    /// The items of the metadata the unlocked keyring does not verify
    /// (none while locked), for the notices.
    pub(crate) fn findings(&self) -> Vec<Finding> {
        self.keyring
            .unlocked
            .as_ref()
            .map(|keyring| self.metadata.metadata.findings(keyring))
            .unwrap_or_default()
    }

    /// Lists the document in a manifest of its own when it holds changes
    /// to push and the keyring is unlocked (with no newer one waiting);
    /// otherwise it keeps the one it has.
    pub(crate) fn seal_manifest(&mut self) {
        if let (true, Some(keyring), None) = (
            self.metadata.pending,
            &self.keyring.unlocked,
            &self.keyring.held,
        ) {
            self.metadata.seal_manifest(keyring);
        }
    }

    /// Whether this browser holds changes the server hasn't acknowledged.
    pub(crate) fn pending(&self) -> bool {
        self.keyring.pending || self.metadata.pending
    }
}

impl AsMut<KeyringReplica> for Replicas {
    fn as_mut(&mut self) -> &mut KeyringReplica {
        &mut self.keyring
    }
}

impl AsMut<MetadataReplica> for Replicas {
    fn as_mut(&mut self) -> &mut MetadataReplica {
        &mut self.metadata
    }
}
