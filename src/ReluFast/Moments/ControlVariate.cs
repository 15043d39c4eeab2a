using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// A polynomial of degree at most 2 subtracted from the response before a Hermite moment is estimated
/// (docs/algorithm.md section 3): p(x) = c0 + &lt;c1, x&gt; + 1/2 (x^T Q x - tr Q). Subtracting any polynomial of
/// degree &lt; k leaves the order-k moment unbiased; the Hermite expansion's own degree &lt;= 2 part is this form.
/// Immutable and thread-safe.
/// </summary>
internal sealed class ControlVariate
{
    private readonly double[] _c1;   // d (zeros below degree 1)
    private readonly double[] _q;    // d x d (empty below degree 2)
    private readonly double _traceQ;

    private ControlVariate(int dimension, int degree, double c0, double[] c1, double[] q)
    {
        Dimension = dimension;
        Degree = degree;
        C0 = c0;
        _c1 = c1;
        _q = q;
        for (int i = 0; i < q.Length; i += dimension + 1) _traceQ += q[i];
    }

    /// <summary>p = 0: the response is used as it is.</summary>
    public static ControlVariate None(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        return new ControlVariate(dimension, -1, 0, new double[dimension], []);
    }

    /// <summary>p = c0.</summary>
    public static ControlVariate Constant(int dimension, double c0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        RequireFinite([c0], nameof(c0));
        return new ControlVariate(dimension, 0, c0, new double[dimension], []);
    }

    /// <summary>p(x) = c0 + &lt;c1, x&gt;; the dimension is c1.Length.</summary>
    public static ControlVariate Linear(double c0, ReadOnlySpan<double> c1)
    {
        if (c1.IsEmpty) throw new ArgumentException("c1 needs one entry per input dimension.", nameof(c1));
        RequireFinite([c0], nameof(c0));
        RequireFinite(c1, nameof(c1));
        return new ControlVariate(c1.Length, 1, c0, c1.ToArray(), []);
    }

    /// <summary>p(x) = c0 + &lt;c1, x&gt; + 1/2 (x^T Q x - tr Q), Q given d x d row-major (only its symmetric part matters).</summary>
    public static ControlVariate Quadratic(double c0, ReadOnlySpan<double> c1, ReadOnlySpan<double> q)
    {
        if (c1.IsEmpty) throw new ArgumentException("c1 needs one entry per input dimension.", nameof(c1));
        int d = c1.Length;
        if (q.Length != d * d) throw new ArgumentException($"Q must be d x d = {d * d} entries for d = {d}, got {q.Length}.", nameof(q));
        RequireFinite([c0], nameof(c0));
        RequireFinite(c1, nameof(c1));
        RequireFinite(q, nameof(q));
        return new ControlVariate(d, 2, c0, c1.ToArray(), q.ToArray());
    }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>-1 for none, else 0, 1 or 2 (the form's degree, whatever the coefficients' values).</summary>
    public int Degree { get; }

    /// <summary>The constant c0.</summary>
    public double C0 { get; }

    /// <summary>The linear coefficients c1 (zeros below degree 1).</summary>
    public ReadOnlySpan<double> C1 => _c1;

    /// <summary>Q (d x d row-major), empty below degree 2.</summary>
    public ReadOnlySpan<double> Q => _q;

    /// <summary>p(x) at one point.</summary>
    public double Evaluate(ReadOnlySpan<double> x)
    {
        if (x.Length != Dimension) throw new ArgumentException($"x needs {Dimension} entries, got {x.Length}.", nameof(x));
        if (Degree < 0) return 0;
        double p = C0 + TensorPrimitives.Dot(x, _c1);
        if (Degree == 2)
        {
            double quad = 0;
            for (int i = 0; i < Dimension; i++) quad += x[i] * TensorPrimitives.Dot(_q.AsSpan(i * Dimension, Dimension), x);
            p += 0.5 * (quad - _traceQ);
        }
        return p;
    }

    /// <summary>
    /// yTilde_j = y_j - p(x_j) for a block: x is n x d row-major, y and yTilde have n entries (they may be the
    /// same span). Computed in T with SIMD; the quadratic form as <see cref="SymmetricForms"/> on the sample lanes, the same bits
    /// on every vector width. Does not allocate after the first call on a thread.
    /// </summary>
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> yTilde) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = Dimension, n = y.Length;
        if ((long)n * d != x.Length)
            throw new ArgumentException($"x has {x.Length} entries but {n} samples of dimension {d} need {(long)n * d}.", nameof(x));
        if (yTilde.Length != n) throw new ArgumentException($"yTilde needs {n} entries, got {yTilde.Length}.", nameof(yTilde));
        switch (Degree)
        {
            case < 0:
                y.CopyTo(yTilde);
                return;
            case 0:
                TensorPrimitives.Subtract(y, T.CreateTruncating(C0), yTilde);
                return;
        }
        Coefficients<T> cached = Coefficients<T>.For(this);
        T c0 = T.CreateTruncating(C0);
        // the forms go into scratch, since yTilde may be y itself
        if (Degree == 1)
        {
            Span<T> forms = Scratch<T>.Get(n);
            RowSums.Run<T, LinearFormTerm<T>>(x, d, cached.C1, default, forms);
            SubtractForms(y, c0, forms, yTilde);
            return;
        }
        // p = c0 - tr(Q)/2 + sum_i x_i (c1_i + sum_(k >= i) S_ik x_k), S the upper triangle of Q's symmetric part with the diagonal
        // halved: x^T Q x / 2 = sum_i Q_ii x_i^2 / 2 + sum_(i < k) (Q_ik + Q_ki) / 2 x_i x_k
        Span<T> scratch = Scratch<T>.Get(n + SymmetricForms.TileLength<T>(d));
        Span<T> formsOf = scratch[..n];
        SymmetricForms.Run<T>(x, d, cached.C1, cached.Upper, formsOf, scratch[n..]);
        SubtractForms(y, cached.Constant, formsOf, yTilde);
    }

    /// <summary>
    /// A quadratic control variate (degree 2) as <see cref="Apply{T}"/> computes it: p = constant + the forms of
    /// <see cref="SymmetricForms"/> with these linear and packed upper coefficients, y~ by <see cref="SubtractForms{T}"/>. For kernels
    /// that make the forms where their samples already are (the sample lanes' tile of pass 2's 3-tensors): the same bits.
    /// </summary>
    internal (T Constant, T[] Linear, T[] Upper) QuadraticTerms<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Degree != 2) throw new InvalidOperationException("Only a quadratic control variate has a quadratic form.");
        Coefficients<T> cached = Coefficients<T>.For(this);
        return (cached.Constant, cached.C1, cached.Upper);
    }

    /// <summary>yTilde = (y - constant) - forms, entry by entry (yTilde may be y).</summary>
    internal static void SubtractForms<T>(ReadOnlySpan<T> y, T constant, ReadOnlySpan<T> forms, Span<T> yTilde)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract(y, constant, yTilde);
        TensorPrimitives.Subtract(yTilde, forms, yTilde);
    }

    private static void RequireFinite(ReadOnlySpan<double> values, string name)
    {
        foreach (double v in values)
            if (!double.IsFinite(v)) throw new ArgumentException($"{name} has a NaN or infinite entry.", name);
    }

    /// <summary>The coefficients converted to T once per control variate (cached on first use).</summary>
    private sealed class Coefficients<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ControlVariate, Coefficients<T>> s_cache = new();

        public required T[] C1 { get; init; }
        // S packed row by row: S_ii = Q_ii / 2, S_ik = (Q_ik + Q_ki) / 2 for i < k (empty below degree 2)
        public required T[] Upper { get; init; }
        // c0 - tr(Q) / 2 (degree 2)
        public required T Constant { get; init; }

        public static Coefficients<T> For(ControlVariate p) => s_cache.GetValue(p, static p => new Coefficients<T>
        {
            C1 = Array.ConvertAll(p._c1, T.CreateTruncating),
            Upper = p.Degree < 2 ? [] : PackUpper<T>(p._q, p.Dimension),
            Constant = T.CreateTruncating(p.C0 - 0.5 * p._traceQ),
        });

        private static TOut[] PackUpper<TOut>(double[] q, int d) where TOut : IBinaryFloatingPointIeee754<TOut>
        {
            var upper = new TOut[SymmetricForms.PackedLength(d)];
            for (int i = 0, at = 0; i < d; i++)
                for (int k = i; k < d; k++) upper[at++] = TOut.CreateTruncating(k == i ? 0.5 * q[i * d + i] : 0.5 * (q[i * d + k] + q[k * d + i]));
            return upper;
        }
    }

    private static class Scratch<T>
    {
        [ThreadStatic] private static T[]? t_buffer;

        public static Span<T> Get(int length)
        {
            T[]? buffer = t_buffer;
            if (buffer is null || buffer.Length < length) t_buffer = buffer = new T[length];
            return buffer.AsSpan(0, length);
        }
    }
}
