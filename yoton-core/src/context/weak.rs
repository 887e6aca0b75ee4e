//! A context that does not keep itself alive, for threads that work for it
//! but must not outlive its last user (a flush's thread).

use super::*;

/// A [`Context`] that does not keep it alive.
#[derive(Clone)]
pub(crate) struct WeakContext(std::sync::Weak<ContextShared>);

impl WeakContext {
    /// The context, if it is still there.
    pub(crate) fn upgrade(&self) -> Option<Context> {
        self.0.upgrade().map(|shared| Context { shared })
    }
}

impl Context {
    /// A weak handle, for threads that must not keep the context alive.
    pub(crate) fn downgrade(&self) -> WeakContext {
        WeakContext(Arc::downgrade(&self.shared))
    }
}
