using NativeGrad.Interop;

namespace NativeGrad;

public sealed unsafe partial class Tensor
{
    internal Tensor Unary(NgUnaryOp op, double a = 0, double b = 0)
    {
        nint r;
        NgStatus st = NativeMethods.ng_tensor_unary(op, Handle, a, b, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    internal static Tensor Binary(NgBinaryOp op, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        nint r;
        NgStatus st = NativeMethods.ng_tensor_binary(op, x.Handle, y.Handle, &r);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        return Wrap(st, r);
    }

    // ---- operators (broadcasting) ----------------------------------------------------------------

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor x, Tensor y) => Binary(NgBinaryOp.Add, x, y);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor x, double y) => x.Unary(NgUnaryOp.AddScalar, y);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double x, Tensor y) => y.Unary(NgUnaryOp.AddScalar, x);
    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor x, Tensor y) => Binary(NgBinaryOp.Sub, x, y);
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor x, double y) => x.Unary(NgUnaryOp.SubScalar, y);
    /// <summary>A scalar minus each element.</summary>
    public static Tensor operator -(double x, Tensor y) => y.Unary(NgUnaryOp.RsubScalar, x);
    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor x, Tensor y) => Binary(NgBinaryOp.Mul, x, y);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor x, double y) => x.Unary(NgUnaryOp.MulScalar, y);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double x, Tensor y) => y.Unary(NgUnaryOp.MulScalar, x);
    /// <summary>Elementwise true division with broadcasting.</summary>
    public static Tensor operator /(Tensor x, Tensor y) => Binary(NgBinaryOp.Div, x, y);
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor x, double y) => x.Unary(NgUnaryOp.DivScalar, y);
    /// <summary>A scalar divided by each element.</summary>
    public static Tensor operator /(double x, Tensor y) => y.Unary(NgUnaryOp.RdivScalar, x);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor x) => x.Unary(NgUnaryOp.Neg);

    // ---- elementwise functions -------------------------------------------------------------------

    /// <summary>Each element raised to <paramref name="exponent"/>.</summary>
    public Tensor Pow(double exponent) => Unary(NgUnaryOp.PowScalar, exponent);
    /// <summary>Elementwise power with broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => Binary(NgBinaryOp.Pow, this, exponent);
    /// <summary>e to the power of each element.</summary>
    public Tensor Exp() => Unary(NgUnaryOp.Exp);
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(NgUnaryOp.Log);
    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary(NgUnaryOp.Sqrt);
    /// <summary>Absolute value.</summary>
    public Tensor Abs() => Unary(NgUnaryOp.Abs);
    /// <summary>Sign (-1, 0 or 1).</summary>
    public Tensor Sign() => Unary(NgUnaryOp.Sign);
    /// <summary>Sine.</summary>
    public Tensor Sin() => Unary(NgUnaryOp.Sin);
    /// <summary>Cosine.</summary>
    public Tensor Cos() => Unary(NgUnaryOp.Cos);
    /// <summary>1 / x.</summary>
    public Tensor Reciprocal() => Unary(NgUnaryOp.Reciprocal);
    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary(NgUnaryOp.Relu);
    /// <summary>x for x &gt; 0, else <paramref name="negativeSlope"/>·x.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) => Unary(NgUnaryOp.LeakyRelu, negativeSlope);
    /// <summary>x for x &gt; 0, else <paramref name="alpha"/>·(eˣ − 1).</summary>
    public Tensor Elu(double alpha = 1.0) => Unary(NgUnaryOp.Elu, alpha);
    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public Tensor Sigmoid() => Unary(NgUnaryOp.Sigmoid);
    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(NgUnaryOp.Tanh);

    /// <summary>Each element limited to [<paramref name="min"/>, <paramref name="max"/>] (null: no bound).</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null)
            throw new ArgumentException("Clamp: at least one of min and max must be given.");
        return Unary(NgUnaryOp.Clamp, min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
    }

    /// <summary>Elementwise maximum with broadcasting (NaN propagates).</summary>
    public Tensor Maximum(Tensor other) => Binary(NgBinaryOp.Maximum, this, other);
    /// <summary>Elementwise minimum with broadcasting (NaN propagates).</summary>
    public Tensor Minimum(Tensor other) => Binary(NgBinaryOp.Minimum, this, other);

    // ---- comparisons (bool results) ------------------------------------------------------------

    /// <summary>Elementwise x == y (bool).</summary>
    public Tensor Eq(Tensor other) => Binary(NgBinaryOp.Eq, this, other);
    /// <summary>Elementwise x != y (bool).</summary>
    public Tensor Ne(Tensor other) => Binary(NgBinaryOp.Ne, this, other);
    /// <summary>Elementwise x &lt; y (bool).</summary>
    public Tensor Lt(Tensor other) => Binary(NgBinaryOp.Lt, this, other);
    /// <summary>Elementwise x &lt;= y (bool).</summary>
    public Tensor Le(Tensor other) => Binary(NgBinaryOp.Le, this, other);
    /// <summary>Elementwise x &gt; y (bool).</summary>
    public Tensor Gt(Tensor other) => Binary(NgBinaryOp.Gt, this, other);
    /// <summary>Elementwise x &gt;= y (bool).</summary>
    public Tensor Ge(Tensor other) => Binary(NgBinaryOp.Ge, this, other);
    /// <summary>Elementwise x == value (bool).</summary>
    public Tensor Eq(double value) => Unary(NgUnaryOp.EqScalar, value);
    /// <summary>Elementwise x != value (bool).</summary>
    public Tensor Ne(double value) => Unary(NgUnaryOp.NeScalar, value);
    /// <summary>Elementwise x &lt; value (bool).</summary>
    public Tensor Lt(double value) => Unary(NgUnaryOp.LtScalar, value);
    /// <summary>Elementwise x &lt;= value (bool).</summary>
    public Tensor Le(double value) => Unary(NgUnaryOp.LeScalar, value);
    /// <summary>Elementwise x &gt; value (bool).</summary>
    public Tensor Gt(double value) => Unary(NgUnaryOp.GtScalar, value);
    /// <summary>Elementwise x &gt;= value (bool).</summary>
    public Tensor Ge(double value) => Unary(NgUnaryOp.GeScalar, value);
    /// <summary>Elementwise logical and of two bool tensors.</summary>
    public Tensor LogicalAnd(Tensor other) => Binary(NgBinaryOp.LogicalAnd, this, other);
    /// <summary>Elementwise logical or of two bool tensors.</summary>
    public Tensor LogicalOr(Tensor other) => Binary(NgBinaryOp.LogicalOr, this, other);
    /// <summary>Elementwise logical not.</summary>
    public Tensor LogicalNot() => Unary(NgUnaryOp.LogicalNot);

    /// <summary>Elementwise x &lt; y.</summary>
    public static Tensor operator <(Tensor x, Tensor y) => Binary(NgBinaryOp.Lt, x, y);
    /// <summary>Elementwise x &gt; y.</summary>
    public static Tensor operator >(Tensor x, Tensor y) => Binary(NgBinaryOp.Gt, x, y);
    /// <summary>Elementwise x &lt;= y.</summary>
    public static Tensor operator <=(Tensor x, Tensor y) => Binary(NgBinaryOp.Le, x, y);
    /// <summary>Elementwise x &gt;= y.</summary>
    public static Tensor operator >=(Tensor x, Tensor y) => Binary(NgBinaryOp.Ge, x, y);
    /// <summary>Elementwise x &lt; value.</summary>
    public static Tensor operator <(Tensor x, double y) => x.Unary(NgUnaryOp.LtScalar, y);
    /// <summary>Elementwise x &gt; value.</summary>
    public static Tensor operator >(Tensor x, double y) => x.Unary(NgUnaryOp.GtScalar, y);
    /// <summary>Elementwise x &lt;= value.</summary>
    public static Tensor operator <=(Tensor x, double y) => x.Unary(NgUnaryOp.LeScalar, y);
    /// <summary>Elementwise x &gt;= value.</summary>
    public static Tensor operator >=(Tensor x, double y) => x.Unary(NgUnaryOp.GeScalar, y);

    /// <summary>Elements of <paramref name="x"/> where <paramref name="condition"/> is true, else of <paramref name="y"/> (broadcasting).</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        nint r;
        NgStatus st = NativeMethods.ng_tensor_where(condition.Handle, x.Handle, y.Handle, &r);
        GC.KeepAlive(condition);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        return Wrap(st, r);
    }

    /// <summary>Elements of this tensor where <paramref name="condition"/> is true, else of <paramref name="other"/>.</summary>
    public Tensor Where(Tensor condition, Tensor other) => Where(condition, this, other);

    // ---- linear algebra ----------------------------------------------------------------------

    /// <summary>Matrix product with PyTorch's rules (1-D, 2-D and broadcast batched).</summary>
    public Tensor MatMul(Tensor other) => Call(&NativeMethods.ng_tensor_matmul, other);

    // ---- in place (not recorded by autograd) ---------------------------------------------------

    /// <summary>Sets every element to <paramref name="value"/>. Returns this tensor.</summary>
    public Tensor Fill_(double value)
    {
        Check(NativeMethods.ng_tensor_fill_(Handle, value));
        GC.KeepAlive(this);
        return this;
    }

    /// <summary>Sets every element to zero. Returns this tensor.</summary>
    public Tensor Zero_() => Fill_(0);

    /// <summary>Copies <paramref name="source"/> (broadcast, converted) into this tensor. Returns this tensor.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Check(NativeMethods.ng_tensor_copy_(Handle, source.Handle));
        GC.KeepAlive(this);
        GC.KeepAlive(source);
        return this;
    }

    /// <summary>this += other (broadcast into this tensor's shape). Returns this tensor.</summary>
    public Tensor Add_(Tensor other) => InPlace(NgBinaryOp.Add, other);
    /// <summary>this -= other. Returns this tensor.</summary>
    public Tensor Sub_(Tensor other) => InPlace(NgBinaryOp.Sub, other);
    /// <summary>this *= other. Returns this tensor.</summary>
    public Tensor Mul_(Tensor other) => InPlace(NgBinaryOp.Mul, other);
    /// <summary>this *= value. Returns this tensor.</summary>
    public Tensor Mul_(double value) => InPlace(NgUnaryOp.MulScalar, value);
    /// <summary>this += value. Returns this tensor.</summary>
    public Tensor Add_(double value) => InPlace(NgUnaryOp.AddScalar, value);

    private Tensor InPlace(NgBinaryOp op, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Check(NativeMethods.ng_tensor_binary_(op, Handle, other.Handle));
        GC.KeepAlive(this);
        GC.KeepAlive(other);
        return this;
    }

    private Tensor InPlace(NgUnaryOp op, double a)
    {
        Check(NativeMethods.ng_tensor_unary_(op, Handle, a, 0));
        GC.KeepAlive(this);
        return this;
    }
}
