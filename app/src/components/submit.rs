//! A dialog's submit, on a Leptos `Action`: one at a time (a second click
//! while it runs does nothing), `pending` for the busy state, the error for
//! the dialog's error line, and what to do when it succeeded. One run at a
//! time also means no older result can land over a newer one.

use std::{future::Future, pin::Pin, rc::Rc};

use leptos::prelude::*;

use crate::error::AppError;

pub struct Submit<I: 'static> {
    action: Action<I, ()>,
}

impl<I: 'static> Clone for Submit<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static> Copy for Submit<I> {}

/// A submit's work with its success handling folded in, behind one type,
/// so every dialog shares one copy of the `Action` code per input type
/// (each closure type would otherwise instantiate its own).
type Work<I> = Rc<dyn Fn(I) -> Pin<Box<dyn Future<Output = Result<(), AppError>>>>>;

impl<I: Clone + 'static> Submit<I> {
    /// `work` runs with the submitted input; its error goes to `error`, its
    /// value to `done`.
    pub fn new<T: 'static, Fu>(
        error: RwSignal<Option<String>>,
        work: impl Fn(I) -> Fu + 'static,
        done: impl Fn(T) + 'static,
    ) -> Self
    where
        Fu: Future<Output = Result<T, AppError>> + 'static,
    {
        let done = Rc::new(done);
        let work: Work<I> = Rc::new(move |input| {
            let (running, done) = (work(input), done.clone());
            Box::pin(async move {
                done(running.await?);
                Ok(())
            })
        });
        Self::erased(error, work)
    }

    fn erased(error: RwSignal<Option<String>>, work: Work<I>) -> Self {
        let action = Action::new_local(move |input: &I| {
            let running = work(input.clone());
            async move {
                error.set(None);
                if let Err(e) = running.await {
                    error.set(Some(e.to_string()));
                }
            }
        });
        Self { action }
    }

    /// Submits, unless a submit is still running.
    pub fn run(&self, input: I) {
        if !self.action.pending().get_untracked() {
            self.action.dispatch_local(input);
        }
    }

    /// Whether a submit is running (for disabled buttons and progress).
    pub fn pending(&self) -> Memo<bool> {
        self.action.pending()
    }
}
