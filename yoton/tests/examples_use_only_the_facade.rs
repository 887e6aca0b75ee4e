//! Every example builds in a new project that depends on `yoton` alone:
//! each file of `examples/` is parsed, and every path that leaves the file
//! (each `use`, and each multi-segment path in code, types and macros) must
//! start at `yoton`, at the standard library, or at a name the file
//! defines or imports itself. Then no example can reach `yoton_core`,
//! `yoton_channels`, `bytes` or any other crate the facade depends on.

use std::collections::BTreeSet;
use std::path::Path;

use syn::visit::{self, Visit};

/// Roots any program has: the facade and the standard library, and the
/// runtime the async example runs on (the program's choice of executor,
/// not a crate behind the facade).
const ALLOWED_ROOTS: [&str; 9] = [
    "yoton", "std", "core", "alloc", "crate", "self", "super", "Self", "tokio",
];

/// The names of the standard prelude and the primitive types, which paths
/// may start at without importing them (`String::new`, `u64::from`).
const PRELUDE: [&str; 33] = [
    "Box",
    "String",
    "Vec",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "ToString",
    "ToOwned",
    "Iterator",
    "IntoIterator",
    "Default",
    "Clone",
    "From",
    "Into",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "bool",
    "str",
];

/// The names a file defines or imports: what its other paths may start at.
#[derive(Default)]
struct Declared(BTreeSet<String>);

impl Declared {
    /// Adds the names `tree` imports; `parent` is the last segment before
    /// it, the name that `self` in a group stands for.
    fn add_use_tree(&mut self, tree: &syn::UseTree, parent: Option<&syn::Ident>) {
        match tree {
            syn::UseTree::Path(p) => self.add_use_tree(&p.tree, Some(&p.ident)),
            syn::UseTree::Name(n) if n.ident == "self" => {
                if let Some(parent) = parent {
                    self.0.insert(parent.to_string());
                }
            }
            syn::UseTree::Name(n) => {
                self.0.insert(n.ident.to_string());
            }
            syn::UseTree::Rename(r) => {
                self.0.insert(r.rename.to_string());
            }
            syn::UseTree::Glob(_) => {}
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.add_use_tree(t, parent)),
        }
    }
}

impl<'ast> Visit<'ast> for Declared {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let ident = match item {
            syn::Item::Const(i) => Some(&i.ident),
            syn::Item::Enum(i) => Some(&i.ident),
            syn::Item::Fn(i) => Some(&i.sig.ident),
            syn::Item::Mod(i) => Some(&i.ident),
            syn::Item::Static(i) => Some(&i.ident),
            syn::Item::Struct(i) => Some(&i.ident),
            syn::Item::Trait(i) => Some(&i.ident),
            syn::Item::Type(i) => Some(&i.ident),
            syn::Item::Union(i) => Some(&i.ident),
            syn::Item::Use(u) => {
                self.add_use_tree(&u.tree, None);
                None
            }
            _ => None,
        };
        if let Some(ident) = ident {
            self.0.insert(ident.to_string());
        }
        visit::visit_item(self, item);
    }

    fn visit_generic_param(&mut self, param: &'ast syn::GenericParam) {
        if let syn::GenericParam::Type(t) = param {
            self.0.insert(t.ident.to_string());
        }
        visit::visit_generic_param(self, param);
    }
}

/// Collects every path root that is neither allowed nor declared.
struct Roots<'a> {
    declared: &'a BTreeSet<String>,
    foreign: Vec<String>,
}

impl Roots<'_> {
    fn check(&mut self, root: &str, whole: impl FnOnce() -> String) {
        if !ALLOWED_ROOTS.contains(&root)
            && !PRELUDE.contains(&root)
            && !self.declared.contains(root)
        {
            self.foreign.push(whole());
        }
    }

    fn check_use_tree(&mut self, tree: &syn::UseTree) {
        let root = match tree {
            syn::UseTree::Path(p) => p.ident.to_string(),
            syn::UseTree::Name(n) => n.ident.to_string(),
            syn::UseTree::Rename(r) => r.ident.to_string(),
            syn::UseTree::Glob(_) => return,
            syn::UseTree::Group(g) => {
                g.items.iter().for_each(|t| self.check_use_tree(t));
                return;
            }
        };
        // A `use` may not start at a name of the file itself unless that is
        // a module of the file: only the facade and std are outside.
        if !ALLOWED_ROOTS.contains(&root.as_str()) {
            self.foreign.push(format!("use {root}::..."));
        }
    }
}

impl<'ast> Visit<'ast> for Roots<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.check_use_tree(&item.tree);
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        let name = item.ident.to_string();
        if !ALLOWED_ROOTS.contains(&name.as_str()) {
            self.foreign.push(format!("extern crate {name}"));
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_some() || path.segments.len() > 1 {
            if let Some(first) = path.segments.first() {
                let root = first.ident.to_string();
                let whole = || {
                    path.segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::")
                };
                if path.leading_colon.is_some() && !ALLOWED_ROOTS.contains(&root.as_str()) {
                    self.foreign.push(format!("::{}", whole()));
                } else {
                    self.check(&root, whole);
                }
            }
        }
        visit::visit_path(self, path);
    }

    // Attribute arguments are tokens, not paths: `#[derive(serde::X)]`
    // would slip through without this.
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if attr.path().is_ident("derive") {
            let _ = attr.parse_nested_meta(|meta| {
                self.visit_path(&meta.path);
                Ok(())
            });
        }
        visit::visit_attribute(self, attr);
    }
}

/// The paths of `source` that reach past the facade and std.
fn foreign_paths(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).expect("the example parses");
    let mut declared = Declared::default();
    declared.visit_file(&file);
    let mut roots = Roots {
        declared: &declared.0,
        foreign: Vec::new(),
    };
    roots.visit_file(&file);
    roots.foreign
}

#[test]
fn every_example_names_only_the_facade_and_std() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            let foreign = foreign_paths(&source);
            assert!(foreign.is_empty(), "{}: {foreign:?}", path.display());
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "only {checked} examples found in {}",
        dir.display()
    );
}

#[test]
fn the_check_finds_crates_behind_the_facade() {
    let imports = "use yoton_core::handshake::HandshakeLine;\nfn main() {}";
    assert_eq!(foreign_paths(imports), ["use yoton_core::..."]);
    let grouped = "use {std::io, bytes::Bytes};\nfn main() {}";
    assert_eq!(foreign_paths(grouped), ["use bytes::..."]);
    let inline = "fn main() { let _ = yoton_core::package::Package::heartbeat(); }";
    assert_eq!(
        foreign_paths(inline),
        ["yoton_core::package::Package::heartbeat"]
    );
    let in_type = "fn f(_: crossbeam_channel::Receiver<u8>) {}";
    assert_eq!(foreign_paths(in_type), ["crossbeam_channel::Receiver"]);
    let in_macro = "fn main() { bytes::vec_of!(1); }";
    assert_eq!(foreign_paths(in_macro), ["bytes::vec_of"]);
    let extern_crate = "extern crate serde;";
    assert_eq!(foreign_paths(extern_crate), ["extern crate serde"]);
    let derived = "#[derive(Debug, serde::Serialize)]\nstruct S;";
    assert_eq!(foreign_paths(derived), ["serde::Serialize"]);
    // What the file itself declares or imports is fine, and so is the
    // prelude.
    let local = "use std::io::{self, Read};\nmod m { pub fn f() {} }\n\
                 fn main() { m::f(); io::stdin(); String::new(); }";
    assert!(foreign_paths(local).is_empty());
}

/// The visible lines of the doc examples in `source` (hidden `# ` lines
/// left out) that name a crate behind the facade or register a transport.
fn doc_lines_past_the_facade(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_example = false;
    for line in source.lines() {
        let trimmed = line.trim_start();
        let Some(doc) = trimmed
            .strip_prefix("///")
            .or_else(|| trimmed.strip_prefix("//!"))
        else {
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        if doc.starts_with("```") {
            in_example = !in_example && matches!(doc.trim(), "```" | "```rust");
            continue;
        }
        let hidden = doc.starts_with("# ") || doc == "#";
        let behind = [
            "yoton_core",
            "yoton_channels",
            "yoton_inproc",
            "yoton_tcp",
            "register_transport(",
        ];
        if in_example && !hidden && behind.iter().any(|name| doc.contains(name)) {
            found.push(doc.to_owned());
        }
    }
    found
}

#[test]
fn the_doc_examples_on_the_facade_pages_use_the_facade() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![
        root.join("yoton/src/lib.rs"),
        root.join("yoton-core/src/error.rs"),
    ];
    // The channels' sources, in their folders too.
    let mut folders = vec![root.join("yoton-channels/src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.iter().any(|f| f.ends_with("text_io/writer.rs")));
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let found = doc_lines_past_the_facade(&source);
        assert!(found.is_empty(), "{}: {found:#?}", file.display());
    }
    assert!(files.len() > 10);
    // The check can fail.
    let old = "/// ```\n/// use yoton_core::Context;\n/// # use yoton_inproc::X;\n/// ```\n";
    assert_eq!(doc_lines_past_the_facade(old), ["use yoton_core::Context;"]);
}
