//! What answers a call: the [`Request`] as a replier gets it, the
//! [`Handler`] trait, [`Methods`] (one typed function per method name) and
//! [`HandlerError`].

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use yoton_object::{Dict, Object};

/// A call as a replier gets it: the method's name, the arguments and the
/// keyword arguments.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{Object, Request};
///
/// let bytes = Object::from(("add", (1, 2), yoton::Dict::new())).to_bytes().unwrap();
/// let request = Request::from_bytes(&bytes).unwrap();
/// assert_eq!(request.method(), "add");
/// let (x, y): (i64, i64) = request.args_as().unwrap();
/// assert_eq!(x + y, 3);
/// assert!(request.kwargs().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    method: String,
    args: Vec<Object>,
    kwargs: Dict,
}

impl Request {
    /// The request of some bytes: the OBJECT tuple `(method, args,
    /// kwargs)`, as every requester sends it.
    ///
    /// # Errors
    ///
    /// A [`HandlerError`] saying what is wrong with them: not OBJECT, or
    /// not a tuple of a str, a tuple (or list) and a dict.
    pub fn from_bytes(data: &[u8]) -> std::result::Result<Request, HandlerError> {
        let object = Object::from_bytes(data)
            .map_err(|e| HandlerError::msg(format!("the request is not OBJECT: {e}")))?;
        let bad = || HandlerError::msg(format!("not a request (method, args, kwargs): {object}"));
        let Object::Tuple(items) = &object else {
            return Err(bad());
        };
        match items.as_slice() {
            [
                Object::Str(method),
                Object::Tuple(args) | Object::List(args),
                Object::Dict(kwargs),
            ] => Ok(Request {
                method: method.clone(),
                args: args.clone(),
                kwargs: kwargs.clone(),
            }),
            _ => Err(bad()),
        }
    }

    /// The method's name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The arguments.
    pub fn args(&self) -> &[Object] {
        &self.args
    }

    /// The keyword arguments.
    pub fn kwargs(&self) -> &Dict {
        &self.kwargs
    }

    /// The arguments as a serde type: a tuple (or a sequence) of them.
    ///
    /// # Errors
    ///
    /// A [`HandlerError`] saying why they do not fit `T`.
    pub fn args_as<T: DeserializeOwned>(&self) -> std::result::Result<T, HandlerError> {
        yoton_object::from_object(&Object::Tuple(self.args.clone()))
            .map_err(|e| HandlerError::msg(format!("bad arguments for '{}': {e}", self.method)))
    }

    /// The keyword arguments as a serde type (a struct or a map).
    ///
    /// # Errors
    ///
    /// A [`HandlerError`] saying why they do not fit `T`.
    pub fn kwargs_as<T: DeserializeOwned>(&self) -> std::result::Result<T, HandlerError> {
        yoton_object::from_object(&Object::Dict(self.kwargs.clone())).map_err(|e| {
            HandlerError::msg(format!("bad keyword arguments for '{}': {e}", self.method))
        })
    }
}

/// Why a handler could not answer: the message the requester gets (as
/// [`CallError::Failed`](crate::CallError::Failed)).
///
/// Any error type converts into it with `?`, and [`msg`](HandlerError::msg)
/// makes one from text.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::HandlerError;
///
/// fn parse(text: &str) -> Result<i64, HandlerError> {
///     Ok(text.parse::<i64>()?)
/// }
/// assert_eq!(parse("x").unwrap_err().message(), "invalid digit found in string");
/// assert_eq!(HandlerError::msg("no such file").to_string(), "no such file");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError(String);

impl HandlerError {
    /// An error with this message.
    pub fn msg(message: impl fmt::Display) -> HandlerError {
        HandlerError(message.to_string())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for HandlerError {
    fn from(error: E) -> HandlerError {
        HandlerError(error.to_string())
    }
}

/// What answers the calls of a [`RepChannel`](crate::RepChannel): a closure
/// `Fn(&Request) -> Result<Object, HandlerError>`, a [`Methods`] table with
/// one typed function per method name, or your own type.
///
/// A handler that returns an error, or panics, gives the requester an
/// error reply (the reference's `("yoton_ERROR_HANDLING_REQUEST",
/// message)`), and the replier goes on serving.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::sync::atomic::{AtomicI64, Ordering};
/// use yoton::{Handler, HandlerError, Object, Request};
///
/// /// A counter: `add(n)` adds and returns the total.
/// struct Counter(AtomicI64);
///
/// impl Handler for Counter {
///     fn handle(&self, request: &Request) -> Result<Object, HandlerError> {
///         match request.method() {
///             "add" => {
///                 let (n,): (i64,) = request.args_as()?;
///                 Ok(Object::Int(self.0.fetch_add(n, Ordering::SeqCst) + n))
///             }
///             other => Err(HandlerError::msg(format!("Method '{other}' not implemented."))),
///         }
///     }
/// }
/// # let _ = Counter(AtomicI64::new(0));
/// ```
pub trait Handler: Send + 'static {
    /// The reply to one call.
    ///
    /// # Errors
    ///
    /// A [`HandlerError`], which the requester gets as its message.
    fn handle(&self, request: &Request) -> std::result::Result<Object, HandlerError>;
}

impl<F> Handler for F
where
    F: Fn(&Request) -> std::result::Result<Object, HandlerError> + Send + 'static,
{
    fn handle(&self, request: &Request) -> std::result::Result<Object, HandlerError> {
        self(request)
    }
}

type Method = Box<dyn Fn(&Request) -> std::result::Result<Object, HandlerError> + Send>;

/// A [`Handler`] with one function per method name, whose arguments and
/// result are serde types. A call of a name it does not have is answered
/// with the reference's error, `Method 'name' not implemented.`
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use serde::Deserialize;
/// use yoton::{Handler, HandlerError, Methods, Object, Request};
///
/// #[derive(Deserialize)]
/// struct Opts { upper: bool }
///
/// let methods = Methods::new()
///     .method("add", |(x, y): (i64, i64)| Ok::<_, HandlerError>(x + y))
///     .method_kw("greet", |(name,): (String,), opts: Opts| {
///         let text = format!("hello {name}");
///         Ok::<_, HandlerError>(if opts.upper { text.to_uppercase() } else { text })
///     });
///
/// let call = |bytes: Vec<u8>| methods.handle(&Request::from_bytes(&bytes).unwrap());
/// let add = Object::from(("add", (2, 3), yoton::Dict::new())).to_bytes().unwrap();
/// assert_eq!(call(add), Ok(Object::Int(5)));
/// let mut kw = yoton::Dict::new();
/// kw.insert("upper", true);
/// let greet = Object::from(("greet", ("ann",), kw)).to_bytes().unwrap();
/// assert_eq!(call(greet), Ok(Object::from("HELLO ANN")));
/// let nope = Object::from(("nope", Object::tuple([]), yoton::Dict::new())).to_bytes().unwrap();
/// assert_eq!(call(nope).unwrap_err().message(), "Method 'nope' not implemented.");
/// ```
#[derive(Default)]
pub struct Methods {
    methods: HashMap<String, Method>,
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.methods.keys().collect();
        names.sort();
        f.debug_struct("Methods").field("names", &names).finish()
    }
}

impl Methods {
    /// A table without methods.
    pub fn new() -> Methods {
        Methods::default()
    }

    /// Adds method `name`: `f` takes the arguments as a serde type (a
    /// tuple of them: `(x,)` for one, `()` for none) and returns a serde
    /// result. Keyword arguments are refused. A second method of one name
    /// replaces the first.
    pub fn method<A, R, E, F>(mut self, name: &str, f: F) -> Methods
    where
        A: DeserializeOwned,
        R: Serialize,
        E: Into<HandlerError>,
        F: Fn(A) -> std::result::Result<R, E> + Send + 'static,
    {
        let method: Method = Box::new(move |request: &Request| {
            if !request.kwargs().is_empty() {
                return Err(HandlerError::msg(format!(
                    "'{}' takes no keyword arguments",
                    request.method()
                )));
            }
            let result = f(request.args_as()?).map_err(Into::into)?;
            to_reply(&result)
        });
        self.methods.insert(name.to_owned(), method);
        self
    }

    /// Adds method `name` that also takes keyword arguments, as a struct or
    /// a map.
    pub fn method_kw<A, K, R, E, F>(mut self, name: &str, f: F) -> Methods
    where
        A: DeserializeOwned,
        K: DeserializeOwned,
        R: Serialize,
        E: Into<HandlerError>,
        F: Fn(A, K) -> std::result::Result<R, E> + Send + 'static,
    {
        let method: Method = Box::new(move |request: &Request| {
            let result = f(request.args_as()?, request.kwargs_as()?).map_err(Into::into)?;
            to_reply(&result)
        });
        self.methods.insert(name.to_owned(), method);
        self
    }

    /// Whether it has method `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.methods.contains_key(name)
    }
}

fn to_reply<R: Serialize>(result: &R) -> std::result::Result<Object, HandlerError> {
    yoton_object::to_object(result)
        .map_err(|e| HandlerError::msg(format!("the result cannot be sent as OBJECT: {e}")))
}

impl Handler for Methods {
    fn handle(&self, request: &Request) -> std::result::Result<Object, HandlerError> {
        match self.methods.get(request.method()) {
            Some(method) => method(request),
            None => Err(HandlerError::msg(format!(
                "Method '{}' not implemented.",
                request.method()
            ))),
        }
    }
}
