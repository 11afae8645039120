//! The builder thread: it takes every step that is waiting, runs each against an overlay over
//! the groups still on their way to disk, and hands the finished group to the committer; when
//! a group was taken back, it builds on what is on disk again.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use switchboard_model::{Id, now_millis};

use super::{Job, Progress, Sealed, TAKEN_BACK, refused};
use crate::engine::recent::Recent;
use crate::engine::txn::{Overlay, SledBelow, Txn, View};

/// How many steps one group may hold at most.
const MAX_GROUP: usize = 4096;

pub(super) fn build_groups(
    view: View,
    recent: &RefCell<Recent>,
    mut next_id: Id,
    queue: &mpsc::Receiver<Job>,
    sealed: &mpsc::SyncSender<Sealed>,
    progress: &Progress,
) {
    // Groups handed on and not yet on disk, with the next id after each.
    let mut in_flight: VecDeque<(u64, Arc<Overlay>, Id)> = VecDeque::new();
    let mut durable_next_id = next_id;
    let mut number = 0;
    while let Ok(first) = queue.recv() {
        let durable = progress.durable_group.load(Ordering::Acquire);
        while in_flight
            .front()
            .is_some_and(|(group, ..)| *group <= durable)
        {
            if let Some((_, _, after)) = in_flight.pop_front() {
                durable_next_id = after;
            }
        }
        let rebuild = progress.accept_from.compare_exchange(
            TAKEN_BACK,
            number + 1,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if rebuild.is_ok() {
            // The committer refuses every group built on the one it took back: build on what
            // is on disk again; it takes the groups from the next one on.
            in_flight.clear();
            recent.borrow_mut().forget_all();
            next_id = durable_next_id;
        }
        recent.borrow_mut().evict(durable);
        let overlays: Vec<Arc<Overlay>> = in_flight
            .iter()
            .rev()
            .map(|(_, overlay, _)| overlay.clone())
            .collect();
        let below = SledBelow {
            view,
            in_flight: &overlays,
            recent,
        };
        let mut txn = Txn::new(&below, next_id, now_millis());
        let mut answers = vec![first(&mut txn)];
        while answers.len() < MAX_GROUP && !progress.committer_idle.load(Ordering::Acquire) {
            match queue.try_recv() {
                Ok(job) => answers.push(job(&mut txn)),
                Err(_) => break,
            }
        }
        if progress.broken.load(Ordering::Acquire) {
            answers
                .into_iter()
                .for_each(|answer| answer(&Err(refused())));
            continue;
        }
        match txn.finish() {
            Ok((group, group_next_id)) => {
                next_id = group_next_id;
                number += 1;
                in_flight.push_back((number, group.writes.clone(), next_id));
                recent.borrow_mut().remember_group(&group.writes, number);
                let handed_on = sealed.send(Sealed {
                    number,
                    group,
                    answers,
                });
                progress.committer_idle.store(false, Ordering::Release);
                if let Err(mpsc::SendError(lost)) = handed_on {
                    lost.answers
                        .into_iter()
                        .for_each(|answer| answer(&Err(refused())));
                }
            }
            Err(error) => answers
                .into_iter()
                .for_each(|answer| answer(&Err(error.clone()))),
        }
    }
}
