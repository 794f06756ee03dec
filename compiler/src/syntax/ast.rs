//! The typed syntax tree of one `.plant` file.
//!
//! Every node carries a byte [`Span`] into its file's text. The tree is what the parser
//! produces and what name resolution, checking, formatting and the language server read;
//! it holds no resolved information (units, targets) of its own.
//!
//! Numbers are kept as written (`f64` value plus their source span); units in literals and
//! declarations are kept as [`UnitExpr`] trees and resolved later by `units`.

use std::fmt;

/// A half-open byte range `start..end` into one file's text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn len(self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A name as written, with its span.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole file: its items in source order.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct File {
    /// The file's own documentation: a `///` block at the very top of the file that is
    /// followed by a blank line or by a `use`.
    pub doc: Option<Doc>,
    pub items: Vec<Item>,
}

#[derive(Clone, PartialEq, Debug)]
pub enum Item {
    Use(UseDecl),
    Unit(UnitDecl),
    Node(NodeDecl),
    Plant(PlantDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Use(u) => u.span,
            Item::Unit(u) => u.span,
            Item::Node(n) => n.span,
            Item::Plant(p) => p.span,
        }
    }
    /// The name this item defines (none for `use`).
    pub fn name(&self) -> Option<&Ident> {
        match self {
            Item::Use(_) => None,
            Item::Unit(u) => Some(&u.name),
            Item::Node(n) => Some(&n.name),
            Item::Plant(p) => Some(&p.name),
        }
    }
}

/// `use std::bulk::Silo`, `use std::bulk::{Silo, Hopper}`, `use tanks::*`.
#[derive(Clone, PartialEq, Debug)]
pub struct UseDecl {
    /// The module path (all segments but the imported names): `std::bulk`.
    pub module: Vec<Ident>,
    /// The imported names; empty when `glob`.
    pub names: Vec<Ident>,
    pub glob: bool,
    pub span: Span,
}

impl UseDecl {
    pub fn module_path(&self) -> String {
        self.module
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("::")
    }
}

/// `unit rpm = 1/min`, `unit psi = 6894.757 Pa`.
#[derive(Clone, PartialEq, Debug)]
pub struct UnitDecl {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub value: UnitExpr,
    pub span: Span,
}

/// A `///` doc comment block: its text with the `///` markers removed, lines joined by `\n`.
#[derive(Clone, PartialEq, Debug)]
pub struct Doc {
    pub text: String,
    pub span: Span,
}

/// A unit as written: in a declaration (`m^3/s`), a literal (`17.42 L`) or a unit decl.
#[derive(Clone, PartialEq, Debug)]
pub struct UnitExpr {
    pub kind: UnitExprKind,
    pub span: Span,
}

#[derive(Clone, PartialEq, Debug)]
pub enum UnitExprKind {
    /// A unit name, possibly prefixed: `m`, `km`, `L`, `rpm`, `%`, `µm`.
    Name(String),
    /// A pure number factor: the `1` of `1/s`, the `60` of `unit min2 = 60 s`.
    Number(f64),
    Mul(Box<UnitExpr>, Box<UnitExpr>),
    Div(Box<UnitExpr>, Box<UnitExpr>),
    /// `base ^ num/den` with a constant rational exponent.
    Pow(Box<UnitExpr>, Rational),
}

/// A constant rational exponent as written in a unit, e.g. `-1`, `1/2`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Rational {
    pub num: i64,
    pub den: i64,
}

/// A declared type: a unit (quantity), `bool`, or `int` (a whole dimensionless number).
#[derive(Clone, PartialEq, Debug)]
pub struct Ty {
    pub kind: TyKind,
    pub span: Span,
}

#[derive(Clone, PartialEq, Debug)]
pub enum TyKind {
    Quantity(UnitExpr),
    Bool,
    Int,
}

/// `node Name { members }`.
#[derive(Clone, PartialEq, Debug)]
pub struct NodeDecl {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub members: Vec<Member>,
    /// Names declared by members that did not parse (already reported), so that their
    /// uses are not reported as unknown.
    pub unparsed: Vec<Ident>,
    pub span: Span,
}

/// `plant Name { members }`: the top level that becomes an environment.
#[derive(Clone, PartialEq, Debug)]
pub struct PlantDecl {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub members: Vec<Member>,
    /// As in [`NodeDecl::unparsed`].
    pub unparsed: Vec<Ident>,
    pub span: Span,
}

/// One member of a node, plant, agent or `for` block. Which kinds are allowed where is
/// decided by the checker, not the grammar, so misplaced members get a precise message.
#[derive(Clone, PartialEq, Debug)]
pub struct Member {
    pub doc: Option<Doc>,
    pub kind: MemberKind,
    pub span: Span,
}

#[derive(Clone, PartialEq, Debug)]
pub enum MemberKind {
    Param(ParamDecl),
    Port(PortDecl),
    State(StateDecl),
    Let(LetDecl),
    Equation(Equation),
    Instance(InstanceDecl),
    Bond(BondDecl),
    For(ForBlock),
    /// `dt 0.1 s`
    Dt(Expr),
    /// `decide every 1 s`
    DecideEvery(Expr),
    /// `decide when worker.idle`
    DecideWhen(Expr),
    /// `integrator rk45` or `integrator rk45(rtol: 1e-6, atol: 1e-9)`
    Integrator(IntegratorDecl),
    Action(ActionDecl),
    Observe(ObserveDecl),
    /// `reward = expr`
    Reward(Expr),
    Agent(AgentBlock),
    /// `terminate when cond`
    Terminate(Expr),
    Truncate(TruncateDecl),
    /// `when cond { assignments }`: runs after each tick in which `cond` holds.
    When(EventBlock),
    /// `on decide { assignments }`: runs at the start of each environment step.
    OnDecide(Vec<Assign>),
}

/// `param name: unit = default in lo .. hi` (type, default and bounds optional; an
/// array parameter is `param name[N]: unit = default`).
#[derive(Clone, PartialEq, Debug)]
pub struct ParamDecl {
    pub name: Ident,
    pub array: Option<Expr>,
    pub ty: Option<Ty>,
    pub default: Option<Expr>,
    pub bounds: Option<Bounds>,
}

/// `lo .. hi` (both inclusive).
#[derive(Clone, PartialEq, Debug)]
pub struct Bounds {
    pub lo: Expr,
    pub hi: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PortDir {
    In,
    Out,
}

/// `in name: unit` / `in name: unit = default` / `in name: unit sum` /
/// `out name: unit = expr`.
#[derive(Clone, PartialEq, Debug)]
pub struct PortDecl {
    pub dir: PortDir,
    pub name: Ident,
    pub array: Option<Expr>,
    pub ty: Ty,
    /// For `in`: the default driver when nothing is bonded. For `out`: its definition.
    pub value: Option<Expr>,
    /// `sum`: an `in` port that adds up every bond to it (a summing junction).
    pub sum: Option<Span>,
}

/// `state name: unit = init` / `state name[N]: unit = init`.
#[derive(Clone, PartialEq, Debug)]
pub struct StateDecl {
    pub name: Ident,
    pub array: Option<Expr>,
    pub ty: Ty,
    pub init: Expr,
}

/// `let name: unit = expr` (unit optional; inferred when absent).
#[derive(Clone, PartialEq, Debug)]
pub struct LetDecl {
    pub name: Ident,
    pub array: Option<Expr>,
    pub ty: Option<Ty>,
    pub value: Expr,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum EquationKind {
    /// `der x = ...`: continuous.
    Der,
    /// `next x = ...`: discrete update each tick.
    Next,
}

/// `der h = expr`, `next count = expr`, `der x[i] = expr`.
#[derive(Clone, PartialEq, Debug)]
pub struct Equation {
    pub kind: EquationKind,
    pub keyword: Span,
    pub target: Path,
    pub value: Expr,
}

/// `tank = Tank(area: 2 m^2)`, `tray[32] = Tray()`.
#[derive(Clone, PartialEq, Debug)]
pub struct InstanceDecl {
    pub name: Ident,
    pub array: Option<Expr>,
    pub node: Ident,
    pub args: Vec<Arg>,
    /// The span of `Node(args)`.
    pub call_span: Span,
}

/// `name: expr` in an instantiation or an option list.
#[derive(Clone, PartialEq, Debug)]
pub struct Arg {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `bond source -> target`: source is a value (a path or a constant expression),
/// target is an `in` port path.
#[derive(Clone, PartialEq, Debug)]
pub struct BondDecl {
    pub source: Expr,
    pub target: Path,
}

/// `for i in lo .. hi { members }` (half-open: `hi` excluded).
#[derive(Clone, PartialEq, Debug)]
pub struct ForBlock {
    pub var: Ident,
    pub lo: Expr,
    pub hi: Expr,
    pub members: Vec<Member>,
}

#[derive(Clone, PartialEq, Debug)]
pub struct IntegratorDecl {
    pub name: Ident,
    pub options: Vec<Arg>,
}

/// `action name: <kind> -> target`.
#[derive(Clone, PartialEq, Debug)]
pub struct ActionDecl {
    pub name: Ident,
    pub kind: ActionKind,
    /// The `in` port the action drives; without it the action is a plant-level value.
    pub target: Option<Path>,
}

#[derive(Clone, PartialEq, Debug)]
pub enum ActionKind {
    /// `action s: rpm in 450 rpm .. 1850 rpm` (optionally `normalized`: the agent gives
    /// a value in [0, 1] mapped linearly onto the bounds).
    Continuous {
        ty: Ty,
        bounds: Bounds,
        normalized: Option<Span>,
    },
    /// `action on: bool`
    Bool(Span),
    /// `action dir: choice 2` optionally `mask [c0, c1]` (one boolean per choice).
    Choice {
        count: Expr,
        masks: Option<Vec<Expr>>,
        span: Span,
    },
}

/// `observe tank.level in 0 m .. 2 m noise normal(0 m, 0.01 m)` or
/// `observe name = expr ...`.
#[derive(Clone, PartialEq, Debug)]
pub struct ObserveDecl {
    pub name: Option<Ident>,
    pub value: Expr,
    pub bounds: Option<Bounds>,
    pub noise: Option<Expr>,
}

/// `agent name { actions, observations, reward }`.
#[derive(Clone, PartialEq, Debug)]
pub struct AgentBlock {
    pub name: Ident,
    pub members: Vec<Member>,
}

/// `truncate after 500 steps` or `truncate after 300 s`.
#[derive(Clone, PartialEq, Debug)]
pub struct TruncateDecl {
    pub value: Expr,
    /// The span of the word `steps` when the limit counts environment steps; `None` when
    /// the limit is a plant time.
    pub steps: Option<Span>,
}

#[derive(Clone, PartialEq, Debug)]
pub struct EventBlock {
    pub cond: Expr,
    pub body: Vec<Assign>,
}

/// `target = value` inside an event body.
#[derive(Clone, PartialEq, Debug)]
pub struct Assign {
    pub target: Path,
    pub value: Expr,
    pub span: Span,
}

/// A dotted, optionally indexed reference: `tank.level`, `x[i]`, `tray[i + 1].x`.
#[derive(Clone, PartialEq, Debug)]
pub struct Path {
    pub segments: Vec<PathSegment>,
    pub span: Span,
}

impl Path {
    /// The path as written without indices, e.g. `tray.x`.
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.name.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Clone, PartialEq, Debug)]
pub struct PathSegment {
    pub name: Ident,
    pub index: Option<Box<Expr>>,
}

#[derive(Clone, PartialEq, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, PartialEq, Debug)]
pub enum ExprKind {
    /// `3`, `0.5 m`, `17.42 L`, `9.81 m/s^2`.
    Number {
        value: f64,
        unit: Option<UnitExpr>,
    },
    Bool(bool),
    Path(Path),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `sqrt(x)`, `min(a, b)`, `uniform(0 m, 1 m)`.
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `(expr)`, kept so the formatter can keep the user's parentheses.
    Paren(Box<Expr>),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }
}
