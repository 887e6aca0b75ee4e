//! The pages `cargo doc -p yoton` shows for what the facade re-exports
//! teach the facade: no example there names a crate behind it or
//! registers a transport by hand.
//!
//! rustdoc inlines a re-exported item with its own docs, its fields and
//! variants, its methods (the docs of every `impl` of it, trait impls
//! included), a trait's items, and for a type alias the impls of the
//! aliased type; a re-exported module brings its whole file. This test
//! reads the `pub use` items of `yoton/src/lib.rs`, finds where each name
//! is defined in the workspace (following the member crates' own
//! re-exports and aliases), and checks the visible lines (those rustdoc
//! shows, not the hidden `# ` ones) of every Rust example in exactly those
//! docs. Items that the facade does not re-export keep examples in their
//! own crate's terms.
//!
//! It also checks the hidden `# mod yoton { ... }` with which a member
//! crate's doc test stands for the facade: everything it declares must be
//! something the real facade exports under that name, so that the visible
//! code is what a program that depends on `yoton` alone can write.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};

/// What a visible example line may not name: the crates behind the facade
/// (and those whose types it re-exports), as paths.
const BEHIND: [&str; 9] = [
    "yoton_core",
    "yoton_channels",
    "yoton_inproc",
    "yoton_tcp",
    "yoton_stream",
    "yoton_ipc",
    "crossbeam_channel",
    "bytes::",
    "register_transport",
];

/// A crate's sources, parsed.
struct Crate {
    files: Vec<(PathBuf, syn::File)>,
}

impl Crate {
    fn from_dir(dir: &Path) -> Crate {
        let mut files = Vec::new();
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    let file = syn::parse_file(&source)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    files.push((path, file));
                }
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Crate { files }
    }

    fn from_sources(sources: &[(&str, &str)]) -> Crate {
        Crate {
            files: sources
                .iter()
                .map(|(path, source)| (PathBuf::from(path), syn::parse_file(source).unwrap()))
                .collect(),
        }
    }

    /// The file of `mod name;` declared in `declared_in`.
    fn module_file(&self, declared_in: &Path, name: &str) -> Option<&syn::File> {
        let dir = declared_in.parent()?;
        let candidates = [
            dir.join(format!("{name}.rs")),
            dir.join(name).join("mod.rs"),
        ];
        self.files
            .iter()
            .find(|(path, _)| candidates.contains(path))
            .map(|(_, file)| file)
    }
}

/// The workspace crates by their Rust name; other crates (`bytes`,
/// `crossbeam_channel`) are not ours to check.
type Workspace = BTreeMap<String, Crate>;

fn workspace() -> Workspace {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut crates = Workspace::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let src = dir.join("src");
        if dir.join("Cargo.toml").is_file() && src.is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().replace('-', "_");
            crates.insert(name, Crate::from_dir(&src));
        }
    }
    crates
}

/// One name a `use` item brings in: its path, and the name it is known by.
#[derive(Clone, Debug)]
struct UseLeaf {
    path: Vec<String>,
    alias: String,
}

fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push(UseLeaf {
                alias: n.ident.to_string(),
                path,
            });
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push(UseLeaf {
                alias: r.rename.to_string(),
                path,
            });
        }
        syn::UseTree::Glob(_) => {
            let mut path = prefix.clone();
            path.push("*".into());
            out.push(UseLeaf {
                alias: "*".into(),
                path,
            });
        }
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_leaves(t, prefix, out)),
    }
}

/// Every `use` (public ones only if `public_only`) of a file, nested
/// modules included.
fn uses_of(file: &syn::File, public_only: bool) -> Vec<UseLeaf> {
    struct Uses {
        public_only: bool,
        leaves: Vec<UseLeaf>,
    }
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
            if !self.public_only || matches!(item.vis, syn::Visibility::Public(_)) {
                use_leaves(&item.tree, &mut Vec::new(), &mut self.leaves);
            }
        }
        fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {} // not exported
        fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
            if !self.public_only || matches!(item.vis, syn::Visibility::Public(_)) {
                visit::visit_item_mod(self, item);
            }
        }
    }
    let mut uses = Uses {
        public_only,
        leaves: Vec::new(),
    };
    uses.visit_file(file);
    uses.leaves
}

/// The names the facade exports at its top level, and in its modules.
fn facade_names(facade: &syn::File) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = uses_of(facade, true).into_iter().map(|u| u.alias).collect();
    for item in &facade.items {
        match item {
            syn::Item::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => {
                names.insert(f.sig.ident.to_string());
            }
            syn::Item::Mod(m) if matches!(m.vis, syn::Visibility::Public(_)) => {
                names.insert(m.ident.to_string());
            }
            _ => {}
        }
    }
    names
}

/// The doc lines of everything in a node, in source order.
#[derive(Default)]
struct Docs(Vec<String>);

impl<'ast> Visit<'ast> for Docs {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if attr.path().is_ident("doc") {
            if let syn::Meta::NameValue(nv) = &attr.meta {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                {
                    let value = s.value();
                    if value.is_empty() {
                        self.0.push(String::new());
                    }
                    self.0.extend(value.lines().map(str::to_owned));
                }
            }
        }
    }
}

fn docs_of(node: impl FnOnce(&mut Docs)) -> Vec<String> {
    let mut docs = Docs::default();
    node(&mut docs);
    docs.0
}

/// The name a self type of an `impl` is known by (`Foo<T>`, `dyn Foo`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::TraitObject(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// The items of a file and of its inline modules, each with the file it
/// is in.
fn all_items(krate: &Crate) -> Vec<(&Path, &syn::Item)> {
    fn walk<'a>(path: &'a Path, items: &'a [syn::Item], out: &mut Vec<(&'a Path, &'a syn::Item)>) {
        for item in items {
            out.push((path, item));
            if let syn::Item::Mod(syn::ItemMod {
                content: Some((_, inner)),
                ..
            }) = item
            {
                walk(path, inner, out);
            }
        }
    }
    let mut out = Vec::new();
    for (path, file) in &krate.files {
        walk(path, &file.items, &mut out);
    }
    out
}

/// The docs rustdoc shows for the impls of `name` in `krate`.
fn impl_docs(krate: &Crate, name: &str) -> Vec<String> {
    let mut docs = Vec::new();
    for (_, item) in all_items(krate) {
        if let syn::Item::Impl(i) = item {
            if type_name(&i.self_ty).as_deref() == Some(name) {
                docs.extend(docs_of(|d| d.visit_item_impl(i)));
            }
        }
    }
    docs
}

/// The docs rustdoc shows on the facade for `crate_name::name`, or `None`
/// if the name is defined nowhere in the workspace (then the check would
/// miss it, which is an error of its own).
fn shown_docs(ws: &Workspace, crate_name: &str, name: &str) -> Option<Vec<String>> {
    let krate = ws.get(crate_name)?;
    let mut docs = Vec::new();
    let mut found = false;
    for (path, item) in all_items(krate) {
        let ident = match item {
            syn::Item::Struct(i) => &i.ident,
            syn::Item::Enum(i) => &i.ident,
            syn::Item::Union(i) => &i.ident,
            syn::Item::Trait(i) => &i.ident,
            syn::Item::Type(i) => &i.ident,
            syn::Item::Fn(i) => &i.sig.ident,
            syn::Item::Const(i) => &i.ident,
            syn::Item::Static(i) => &i.ident,
            syn::Item::Mod(i) => &i.ident,
            syn::Item::Macro(syn::ItemMacro {
                ident: Some(ident), ..
            }) => ident,
            _ => continue,
        };
        if ident != name {
            continue;
        }
        found = true;
        docs.extend(docs_of(|d| d.visit_item(item)));
        match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                let file = krate
                    .module_file(path, name)
                    .unwrap_or_else(|| panic!("no file for mod {name} of {}", path.display()));
                docs.extend(docs_of(|d| d.visit_file(file)));
            }
            syn::Item::Type(alias) => {
                // The alias's page shows the impls of the aliased type,
                // wherever that is defined.
                let target = type_name(&alias.ty).expect("an alias of a named type");
                docs.extend(impl_docs(krate, &target));
                let written = match &*alias.ty {
                    syn::Type::Path(p) if p.path.segments.len() > 1 => {
                        Some(p.path.segments[0].ident.to_string())
                    }
                    _ => None,
                };
                let imported = written.or_else(|| {
                    krate
                        .files
                        .iter()
                        .flat_map(|(_, f)| uses_of(f, false))
                        .find(|u| u.alias == target)
                        .map(|u| u.path[0].clone())
                });
                if let Some(from) = imported.and_then(|c| ws.get(&c)) {
                    docs.extend(impl_docs(from, &target));
                }
            }
            _ => {}
        }
    }
    if found {
        docs.extend(impl_docs(krate, name));
        return Some(docs);
    }
    // Not defined here: a re-export of another workspace crate's item.
    let leaf = krate
        .files
        .iter()
        .flat_map(|(_, f)| uses_of(f, true))
        .find(|u| u.alias == name && ws.contains_key(&u.path[0]))?;
    shown_docs(ws, &leaf.path[0], leaf.path.last()?)
}

/// Every re-export of the facade that leads into the workspace, with the
/// docs that its page shows; an error for one that cannot be followed.
fn facade_pages(ws: &Workspace, facade: &syn::File) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut pages = Vec::new();
    for leaf in uses_of(facade, true) {
        let krate = &leaf.path[0];
        if leaf.alias == "*" {
            return Err(format!(
                "a glob re-export cannot be checked: {}",
                leaf.path.join("::")
            ));
        }
        let Some(member) = ws.get(krate) else {
            continue; // `bytes`, `crossbeam_channel`: not ours
        };
        let label = format!("{} (as {})", leaf.path.join("::"), leaf.alias);
        if leaf.path.len() == 1 {
            // `pub use yoton_channels as channels`: the whole crate.
            let docs = member
                .files
                .iter()
                .flat_map(|(_, f)| docs_of(|d| d.visit_file(f)))
                .collect();
            pages.push((label, docs));
            continue;
        }
        let name = leaf.path.last().unwrap();
        let docs =
            shown_docs(ws, krate, name).ok_or(format!("cannot find where {label} is defined"))?;
        pages.push((label, docs));
    }
    Ok(pages)
}

/// Whether rustdoc runs a code block with this info string as Rust.
fn is_rust(info: &str) -> bool {
    info.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .all(|t| {
            matches!(
                t,
                "rust"
                    | "ignore"
                    | "should_panic"
                    | "no_run"
                    | "compile_fail"
                    | "test_harness"
                    | "standalone_crate"
            ) || t.starts_with("edition")
        })
}

/// Whether `line` names `what` as a whole word (`register_transports` is
/// not `register_transport`).
fn names(line: &str, what: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(what).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + what.len()..].chars().next();
        !before.is_some_and(ident) && (what.ends_with("::") || !after.is_some_and(ident))
    })
}

/// The lines of the Rust examples in `docs`: `(hidden, text)`.
fn example_lines(docs: &[String]) -> Vec<(bool, String)> {
    let mut lines = Vec::new();
    let mut fence: Option<(&str, bool)> = None;
    for line in docs {
        let text = line.strip_prefix(' ').unwrap_or(line);
        let trimmed = text.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some((m, is_rust(&trimmed[m.len()..]))),
            (Some((open, _)), Some(m)) if m == open => fence = None,
            (Some((_, true)), _) => {
                let hidden = trimmed == "#" || trimmed.starts_with("# ");
                lines.push((hidden, trimmed.to_owned()));
            }
            _ => {}
        }
    }
    lines
}

/// The visible example lines in `docs` that reach past the facade.
fn lines_past_the_facade(docs: &[String]) -> Vec<String> {
    example_lines(docs)
        .into_iter()
        .filter(|(hidden, line)| !hidden && BEHIND.iter().any(|what| names(line, what)))
        .map(|(_, line)| line)
        .collect()
}

/// What the hidden `# mod yoton { ... }` lines in `docs` declare that the
/// facade does not export.
fn stand_ins_unlike_the_facade(docs: &[String], facade: &BTreeSet<String>) -> Vec<String> {
    let mut unlike = Vec::new();
    for (hidden, line) in example_lines(docs) {
        let Some(code) = line.strip_prefix("# ") else {
            continue;
        };
        if !(hidden && code.starts_with("mod yoton")) {
            continue;
        }
        let module: syn::ItemMod = syn::parse_str(code).unwrap_or_else(|e| panic!("{e}: {code}"));
        let items = module.content.map(|(_, items)| items).unwrap_or_default();
        for item in &items {
            let declared: Vec<String> = match item {
                syn::Item::Use(u) => {
                    let mut leaves = Vec::new();
                    use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                    leaves.into_iter().map(|l| l.alias).collect()
                }
                syn::Item::Fn(f) => vec![f.sig.ident.to_string()],
                syn::Item::Mod(m) => vec![m.ident.to_string()],
                other => vec![format!("{:?}", std::mem::discriminant(other))],
            };
            unlike.extend(declared.into_iter().filter(|n| !facade.contains(n)));
        }
    }
    unlike
}

fn facade_source() -> syn::File {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_examples_on_re_exported_pages_use_the_facade() {
    let ws = workspace();
    let facade = facade_source();
    let names = facade_names(&facade);
    let pages = facade_pages(&ws, &facade).unwrap();
    let mut examples = 0;
    let mut failures = Vec::new();
    for (label, docs) in &pages {
        examples += example_lines(docs).iter().filter(|(h, _)| !h).count();
        let past = lines_past_the_facade(docs);
        if !past.is_empty() {
            failures.push(format!("{label}: {past:#?}"));
        }
        let unlike = stand_ins_unlike_the_facade(docs, &names);
        if !unlike.is_empty() {
            failures.push(format!("{label}: the hidden mod yoton declares {unlike:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The check saw what it is about: the re-exports of each member crate,
    // and a good number of example lines.
    let labels: Vec<&str> = pages.iter().map(|(l, _)| l.as_str()).collect();
    for expected in [
        "yoton_core::Context (as Context)",
        "yoton_core::reason (as reason)",
        "yoton_tcp::TcpTransport (as TcpTransport)",
        "yoton_tcp::TcpOptions (as TcpOptions)",
        "yoton_inproc::InprocTransport (as InprocTransport)",
        "yoton_channels (as channels)",
    ] {
        assert!(labels.contains(&expected), "{expected} not in {labels:#?}");
    }
    assert!(examples > 200, "only {examples} visible example lines");
}

/// A facade and a member crate in miniature: the member has an item that
/// is re-exported, one reached through an alias of another crate's type,
/// a re-exported module, and one that stays behind.
const MEMBER_LIB: &str = r#"
pub mod shown;
mod inner;
pub use inner::Shown;
pub use other::Options as Settings;
pub type Transport = other::Generic<u8>;
/// ```
/// use member::Hidden; // fine: Hidden is not re-exported
/// ```
pub struct Hidden;
"#;

const MEMBER_INNER: &str = r#"
/// ```
/// # mod yoton { pub use member::Shown; }
/// use yoton::Shown; // fine
/// ```
pub struct Shown;
impl Shown {
    /// ```text
    /// use member::Shown; // not Rust: not checked
    /// ```
    pub fn new() -> Self { Shown }
    /// ```no_run
    /// # use member::Shown; // hidden: fine
    /// let ctx = yoton::context();
    /// ctx.register_transport(Arc::new(member::Shown::new()));
    /// yoton::register_transports(&ctx); // fine
    /// ```
    pub fn method(&self) {}
}
"#;

const MEMBER_MODULE: &str = r#"
//! ```
//! use yoton_core::Anything;
//! ```
"#;

const OTHER_LIB: &str = r#"
pub struct Options;
impl Options {
    /// ```
    /// # mod yoton { pub use other::Options; pub fn secret() {} }
    /// let _ = crossbeam_channel::unbounded::<u8>();
    /// ```
    pub fn new() -> Self { Options }
}
pub struct Generic<T>(T);
impl<T> Generic<T> {
    /// ```
    /// let _: bytes::Bytes = yoton::Bytes::new();
    /// ```
    pub fn new() {}
}
/// ```
/// use other::Generic; // fine: the alias page does not show this
/// ```
pub struct NotShown;
"#;

#[test]
fn the_check_finds_examples_past_the_facade() {
    let mut ws = Workspace::new();
    ws.insert(
        "member".into(),
        Crate::from_sources(&[
            ("src/lib.rs", MEMBER_LIB),
            ("src/inner.rs", MEMBER_INNER),
            ("src/shown.rs", MEMBER_MODULE),
        ]),
    );
    ws.insert(
        "other".into(),
        Crate::from_sources(&[("src/lib.rs", OTHER_LIB)]),
    );
    let facade = syn::parse_file(
        "pub use member::{Shown, Settings, Transport, shown};\n\
         pub use bytes::Bytes;\n\
         pub fn context() {}\n\
         pub fn register_transports() {}",
    )
    .unwrap();
    let names = facade_names(&facade);
    let pages = facade_pages(&ws, &facade).unwrap();
    let found: Vec<(String, Vec<String>, Vec<String>)> = pages
        .iter()
        .map(|(label, docs)| {
            (
                label.clone(),
                lines_past_the_facade(docs),
                stand_ins_unlike_the_facade(docs, &names),
            )
        })
        .collect();
    let expected = [
        (
            "member::Shown (as Shown)",
            vec!["ctx.register_transport(Arc::new(member::Shown::new()));"],
            vec![],
        ),
        (
            "member::Settings (as Settings)",
            vec!["let _ = crossbeam_channel::unbounded::<u8>();"],
            vec!["Options", "secret"],
        ),
        (
            "member::Transport (as Transport)",
            vec!["let _: bytes::Bytes = yoton::Bytes::new();"],
            vec![],
        ),
        (
            "member::shown (as shown)",
            vec!["use yoton_core::Anything;"],
            vec![],
        ),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((label, past, unlike), (want_label, want_past, want_unlike)) in found.iter().zip(expected)
    {
        assert_eq!(label, want_label);
        assert_eq!(past, &want_past, "{label}");
        assert_eq!(unlike, &want_unlike, "{label}");
    }
    // A name that cannot be followed is an error, not a page skipped.
    let missing = syn::parse_file("pub use member::Nowhere;").unwrap();
    assert_eq!(
        facade_pages(&ws, &missing).unwrap_err(),
        "cannot find where member::Nowhere (as Nowhere) is defined"
    );
    let glob = syn::parse_file("pub use member::*;").unwrap();
    assert!(facade_pages(&ws, &glob).is_err());
}

#[test]
fn names_are_whole_words() {
    assert!(names("ctx.register_transport(t);", "register_transport"));
    assert!(names("Context::register_transport", "register_transport"));
    assert!(!names(
        "yoton::register_transports(&ctx);",
        "register_transport"
    ));
    assert!(!names("my_yoton_core::f()", "yoton_core"));
    assert!(names("use yoton_core::Context;", "yoton_core"));
    assert!(names("let b = bytes::Bytes::new();", "bytes::"));
    assert!(!names("let n = send_bytes::f();", "bytes::"));
    assert!(!names("let bytes = 3;", "bytes::"));
}
