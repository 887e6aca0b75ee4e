//! The routing rules over a whole mesh of contexts, without transports:
//! each node is a [`Router`], each link a FIFO queue of packages, and the
//! order in which links move their packages is chosen at random.

use std::collections::{BTreeSet, VecDeque};

use proptest::prelude::*;
use yoton_core::routing::Router;
use yoton_core::{Package, Slot};

/// A mesh: `nodes` contexts (ids 1..=nodes) and the undirected links.
#[derive(Debug, Clone)]
struct Mesh {
    nodes: usize,
    links: Vec<(usize, usize)>,
}

fn mesh(max_nodes: usize, tree_only: bool) -> impl Strategy<Value = Mesh> {
    (2..=max_nodes).prop_flat_map(move |nodes| {
        // A random spanning tree (each node links to an earlier one), plus,
        // unless only trees are asked for, extra links that make cycles.
        let tree = proptest::collection::vec(any::<prop::sample::Index>(), nodes - 1);
        let extra_count = if tree_only { 0..1 } else { 0..nodes * 2 };
        let extra = proptest::collection::vec((0..nodes, 0..nodes), extra_count);
        (tree, extra).prop_map(move |(tree, extra)| {
            let mut links: Vec<(usize, usize)> = tree
                .iter()
                .enumerate()
                .map(|(i, pick)| (i + 1, pick.index(i + 1)))
                .collect();
            for (a, b) in extra {
                if a != b && !links.contains(&(a, b)) && !links.contains(&(b, a)) {
                    links.push((a, b));
                }
            }
            Mesh { nodes, links }
        })
    })
}

/// What each node delivered, as (source, seq) in order, after every node
/// broadcast `per_node` packages and the mesh ran until quiet.
fn run(mesh: &Mesh, per_node: u64, order: &[prop::sample::Index]) -> Vec<Vec<(u64, u64)>> {
    let id = |node: usize| node as u64 + 1;
    let mut routers: Vec<Router> = (0..mesh.nodes).map(|n| Router::new(id(n))).collect();
    // Directed lanes: (from, to, queue).
    let mut lanes: Vec<(usize, usize, VecDeque<Package>)> = Vec::new();
    for &(a, b) in &mesh.links {
        lanes.push((a, b, VecDeque::new()));
        lanes.push((b, a, VecDeque::new()));
    }
    for node in 0..mesh.nodes {
        for seq in 1..=per_node {
            let mut package = Package::new(Slot::new(9), "x");
            package.source_id = id(node);
            package.source_seq = seq;
            for lane in lanes.iter_mut().filter(|l| l.0 == node) {
                lane.2.push_back(package.clone());
            }
        }
    }
    let mut delivered = vec![Vec::new(); mesh.nodes];
    let mut step = 0;
    loop {
        let busy: Vec<usize> = (0..lanes.len())
            .filter(|&i| !lanes[i].2.is_empty())
            .collect();
        if busy.is_empty() {
            break;
        }
        let pick = busy[order[step % order.len()].index(busy.len())];
        step += 1;
        let (from, to) = (lanes[pick].0, lanes[pick].1);
        let Some(package) = lanes[pick].2.pop_front() else {
            continue;
        };
        let others = lanes.iter().filter(|l| l.0 == to && l.1 != from).count();
        let route = routers[to].route(&package, others > 0);
        if route.deliver.is_some() {
            delivered[to].push((package.source_id, package.source_seq));
        }
        if route.forward {
            for lane in lanes.iter_mut().filter(|l| l.0 == to && l.1 != from) {
                lane.2.push_back(package.clone());
            }
        }
    }
    delivered
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// In any mesh, cycles included, no node delivers a package twice, nor
    /// one of its own, and every node's deliveries from one source come in
    /// the order they were sent.
    #[test]
    fn no_package_is_delivered_twice_in_a_random_mesh(
        mesh in mesh(7, false),
        per_node in 1u64..6,
        order in proptest::collection::vec(any::<prop::sample::Index>(), 1..64),
    ) {
        let delivered = run(&mesh, per_node, &order);
        for (node, got) in delivered.iter().enumerate() {
            let unique: BTreeSet<_> = got.iter().collect();
            prop_assert_eq!(unique.len(), got.len(), "node {} delivered a package twice", node);
            prop_assert!(got.iter().all(|&(source, _)| source != node as u64 + 1));
            for source in 1..=mesh.nodes as u64 {
                let seqs: Vec<u64> = got.iter().filter(|p| p.0 == source).map(|p| p.1).collect();
                prop_assert!(seqs.windows(2).all(|w| w[0] < w[1]), "out of order: {:?}", seqs);
            }
        }
    }

    /// In a tree (one path between any two nodes, FIFO links), every node
    /// gets every other node's packages exactly once.
    #[test]
    fn a_tree_delivers_everything_exactly_once(
        mesh in mesh(7, true),
        per_node in 1u64..6,
        order in proptest::collection::vec(any::<prop::sample::Index>(), 1..64),
    ) {
        let delivered = run(&mesh, per_node, &order);
        for (node, got) in delivered.iter().enumerate() {
            let expected = (mesh.nodes as u64 - 1) * per_node;
            prop_assert_eq!(got.len() as u64, expected, "node {} got {:?}", node, got);
        }
    }
}
