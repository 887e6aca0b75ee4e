//! What a context does with packages: hands what its channels send to its
//! connections (numbering them, keeping them while it has none, with
//! backpressure), and routes what its connections receive (the router's
//! decisions, then forwarding and delivery in the order accepted).

use super::*;

impl ContextShared {
    pub(super) fn snapshot(&self) -> Arc<Vec<Arc<ConnectionCore>>> {
        Arc::clone(&lock(&self.connections))
    }

    pub(super) fn endpoints_write(&self) -> std::sync::RwLockWriteGuard<'_, Endpoints> {
        self.endpoints.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn endpoints_read(&self) -> std::sync::RwLockReadGuard<'_, Endpoints> {
        self.endpoints.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a new connection and hands it the startup queue, under the send
    /// lock so that no package numbered meanwhile overtakes the queue.
    pub(super) fn add_connection(&self, connection: &Arc<ConnectionCore>) {
        let mut sending = lock(&self.sending);
        if connection.is_alive() {
            for package in sending.startup.drain(..) {
                if let Err(e) = connection.send_package(&package) {
                    tracing::debug!(error = %e, "startup queue not handed over");
                }
            }
        }
        let mut connections = lock(&self.connections);
        let mut list: Vec<Arc<ConnectionCore>> = connections
            .iter()
            .filter(|c| c.is_alive())
            .cloned()
            .collect();
        list.push(Arc::clone(connection));
        *connections = Arc::new(list);
        self.connections_version.fetch_add(1, Ordering::Release);
    }

    /// Drops a closed connection from the list (called once it closed).
    pub(crate) fn forget_connection(&self, key: ConnectionKey) {
        let mut connections = lock(&self.connections);
        if connections.iter().any(|c| c.key() == key) {
            let list: Vec<Arc<ConnectionCore>> = connections
                .iter()
                .filter(|c| c.key() != key)
                .cloned()
                .collect();
            *connections = Arc::new(list);
            self.connections_version.fetch_add(1, Ordering::Release);
        }
    }

    /// As [`send`](ContextShared::send), but waits for room on every
    /// connection first, until `deadline`: at the deadline nothing is sent
    /// and the error is [`Error::Timeout`](crate::Error::Timeout).
    pub(super) fn send_by(&self, package: Package, deadline: Instant) -> crate::Result<()> {
        self.room_by(deadline)?;
        self.queue(package);
        Ok(())
    }

    /// As [`send_all`](ContextShared::send_all), waiting for room first as
    /// [`send_by`](ContextShared::send_by) does.
    pub(super) fn send_all_by(
        &self,
        packages: Vec<Package>,
        deadline: Instant,
    ) -> crate::Result<()> {
        self.room_by(deadline)?;
        self.queue_all(packages);
        Ok(())
    }

    /// Waits until every alive connection has room, or `deadline`.
    fn room_by(&self, deadline: Instant) -> crate::Result<()> {
        let connections = self.snapshot();
        for connection in connections.iter().filter(|c| c.is_alive()) {
            // A connection that closes meanwhile no longer counts.
            if let Err(e @ crate::Error::Timeout { .. }) = connection.wait_for_room(Some(deadline))
            {
                return Err(e);
            }
        }
        Ok(())
    }

    pub(super) fn send(&self, package: Package) {
        let connections = self.queue(package);
        Self::wait_for_room(&connections);
    }

    /// Numbers a package and hands it to every alive connection (or the
    /// startup queue); the connections it went to.
    fn queue(&self, mut package: Package) -> Arc<Vec<Arc<ConnectionCore>>> {
        {
            let mut sending = lock(&self.sending);
            sending.seq += 1;
            package.source_id = self.id.get();
            package.source_seq = sending.seq;
            let connections = self.current_connections(&mut sending);
            let mut handed = false;
            for connection in connections.iter() {
                if connection.is_alive() && connection.send_package(&package).is_ok() {
                    handed = true;
                }
            }
            if !handed {
                self.keep_for_startup(&mut sending, package);
            }
            connections
        }
    }

    /// As [`send`](ContextShared::send), for several packages at once.
    pub(super) fn send_all(&self, packages: Vec<Package>) {
        let connections = self.queue_all(packages);
        Self::wait_for_room(&connections);
    }

    /// As [`queue`](ContextShared::queue), for several packages at once.
    fn queue_all(&self, mut packages: Vec<Package>) -> Arc<Vec<Arc<ConnectionCore>>> {
        {
            let mut sending = lock(&self.sending);
            for package in &mut packages {
                sending.seq += 1;
                package.source_id = self.id.get();
                package.source_seq = sending.seq;
            }
            let connections = self.current_connections(&mut sending);
            let mut handed = false;
            for connection in connections.iter() {
                if connection.is_alive() && connection.send_packages(&packages).is_ok() {
                    handed = true;
                }
            }
            if !handed {
                for package in packages {
                    self.keep_for_startup(&mut sending, package);
                }
            }
            connections
        }
    }

    /// The connection list, refreshed only when it changed.
    pub(super) fn current_connections(
        &self,
        sending: &mut SendState,
    ) -> Arc<Vec<Arc<ConnectionCore>>> {
        let version = self.connections_version.load(Ordering::Acquire);
        if sending.version != version {
            sending.connections = self.snapshot();
            sending.version = version;
        }
        Arc::clone(&sending.connections)
    }

    /// Queues a package that no connection took, dropping the oldest when
    /// the startup queue is full.
    pub(super) fn keep_for_startup(&self, sending: &mut SendState, package: Package) {
        if sending.startup.len() >= sending.startup_limit {
            sending.startup.pop_front();
            let dropped = self.startup_dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(dropped, "startup queue full: dropped the oldest package");
        }
        sending.startup.push_back(package);
    }

    /// Backpressure, outside the send lock: a slow peer holds up this
    /// sender, not the receiving threads that also send (state resends,
    /// sync words, forwarding).
    pub(super) fn wait_for_room(connections: &[Arc<ConnectionCore>]) {
        for connection in connections {
            if let Err(e) = connection.wait_for_room(None) {
                tracing::trace!(error = %e, "connection closed while waiting for room");
            }
        }
    }

    /// Routes packages that arrived on the connection `from`.
    pub(crate) fn receive_from(&self, from: ConnectionKey, packages: &mut Vec<Package>) {
        self.taps.offer(packages);
        // Passing packages on only matters when another connection is alive;
        // with a single connection (the usual case) nothing is cloned.
        let others: Vec<Arc<ConnectionCore>> = self
            .snapshot()
            .iter()
            .filter(|c| c.key() != from && c.is_alive())
            .cloned()
            .collect();
        let mut here: Vec<Delivery> = Vec::with_capacity(packages.len());
        let mut forward: Vec<Package> = Vec::new();
        let mut router = lock(&self.receiving);
        {
            for package in packages.drain(..) {
                #[cfg(not(feature = "test-util"))]
                let route = router.route(&package, !others.is_empty());
                #[cfg(feature = "test-util")]
                let route = self.flawed_route(&mut router, &package, !others.is_empty());
                match route.deliver {
                    Some(recv_seq) => {
                        if route.forward {
                            forward.push(package.clone());
                        }
                        here.push(Delivery { package, recv_seq });
                    }
                    None if route.forward => forward.push(package),
                    None => {}
                }
            }
        }
        // Packages of one source can reach this context over several links,
        // on several receiving threads: they are passed on and delivered in
        // the order they were accepted. The delivery lock is taken before
        // the router's is let go, so the next batch accepted waits for this
        // one; the router is free meanwhile.
        let delivering = lock(&self.delivering);
        drop(router);
        let mut queued_on = Vec::new();
        if !forward.is_empty() {
            for connection in &others {
                if forward
                    .iter()
                    .all(|package| connection.send_package(package).is_ok())
                {
                    queued_on.push(connection);
                }
            }
        }
        if !here.is_empty() {
            self.deliver(here);
        }
        drop(delivering);
        // Backpressure once nothing is held.
        for connection in queued_on {
            let _ = connection.wait_for_room(None);
        }
    }

    /// The route of a package with this context's deliberate flaws.
    #[cfg(feature = "test-util")]
    pub(super) fn flawed_route(
        &self,
        router: &mut Router,
        package: &Package,
        has_others: bool,
    ) -> crate::routing::Route {
        use crate::flaws::ContextFlaw;
        let own = self.id.get();
        if self.flaws.has(ContextFlaw::ForgetsSeenPackages) {
            let delivered = router.delivered();
            *router = Router::new(own);
            router.skip_deliveries(delivered);
        }
        if self.flaws.has(ContextFlaw::RedeliversOwnPackages) && package.source_id == own {
            let mut other = package.clone();
            other.source_id = !own;
            return router.route(&other, false);
        }
        if self.flaws.has(ContextFlaw::IgnoresDestId) && package.dest_id != 0 {
            let mut broadcast = package.clone();
            broadcast.dest_id = 0;
            return router.route(&broadcast, has_others);
        }
        router.route(package, has_others)
    }

    /// Hands accepted packages to their endpoints, grouping runs of the same
    /// slot so that a channel takes a batch at a time.
    pub(super) fn deliver(&self, mut here: Vec<Delivery>) {
        // Usually the whole batch is for one channel: hand it over as it is.
        let Some(first) = here.first().map(|d| d.package.slot) else {
            return;
        };
        if first != Slot::CONTEXT && here.iter().all(|d| d.package.slot == first) {
            self.flush_batch(Some(first), &mut here);
            return;
        }
        let mut batch: Vec<Delivery> = Vec::new();
        let mut current: Option<Slot> = None;
        for delivery in here {
            let slot = delivery.package.slot;
            if slot == Slot::CONTEXT {
                self.flush_batch(current.take(), &mut batch);
                self.on_context_message(&delivery.package);
                continue;
            }
            if current != Some(slot) {
                self.flush_batch(current.take(), &mut batch);
                current = Some(slot);
            }
            batch.push(delivery);
        }
        self.flush_batch(current, &mut batch);
    }

    pub(super) fn flush_batch(&self, slot: Option<Slot>, batch: &mut Vec<Delivery>) {
        let Some(slot) = slot else { return };
        let endpoint = self.endpoints_read().incoming.get(&slot).cloned();
        match endpoint {
            Some(endpoint) => {
                // An endpoint that panics must not take the receiving thread
                // (and so the link, silently) with it; what it was handed is
                // lost to it alone.
                let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    endpoint.deliver(batch);
                }));
                if delivered.is_err() {
                    tracing::error!(%slot, "an endpoint panicked while taking its packages");
                }
            }
            None => {
                let before = self
                    .unrouted
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                if before == 0 {
                    tracing::warn!(%slot, count = batch.len(), "packages for a slot that no channel receives on (see Context::unrouted_packages)");
                } else {
                    tracing::debug!(%slot, count = batch.len(), "no endpoint for slot");
                }
            }
        }
        batch.clear();
    }

    pub(super) fn on_context_message(&self, package: &Package) {
        match std::str::from_utf8(&package.data) {
            Ok(NEW_CONNECTION) => {
                let outgoing: Vec<Arc<dyn Endpoint>> =
                    self.endpoints_read().outgoing.values().cloned().collect();
                for endpoint in outgoing {
                    endpoint.on_new_connection();
                }
            }
            Ok("CLOSE_CONNECTION") => {
                for connection in self.snapshot().iter() {
                    if connection.is_connected()
                        && connection.peer_id().map(ContextId::get) == Some(package.source_id)
                    {
                        connection.close_on_problem(Some(reason::CLOSED_FROM_OTHER_END));
                    }
                }
            }
            Ok(other) => tracing::debug!(message = other, "unknown context message"),
            Err(_) => tracing::debug!("context message is not UTF-8"),
        }
    }
}
