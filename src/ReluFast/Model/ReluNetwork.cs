using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;

namespace ReluFast.Model;

/// <summary>
/// A depth-2 ReLU network with biases and an optional linear remainder,
/// f(x) = sum_i a_i relu(&lt;w_i, x&gt; + b_i) + c0 + &lt;c, x&gt;  (docs/algorithm.md section 1).
/// Parameters are stored in double precision; row i of <see cref="W"/> is w_i.
/// </summary>
public sealed class ReluNetwork
{
    private readonly double[] _a;
    private readonly double[] _w;
    private readonly double[] _b;
    private readonly double[] _linearWeights;

    /// <summary>Creates a network from output weights a (m), input weights W (m x d, row i is w_i), biases b (m) and an optional linear
    /// remainder.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, or a parameter is NaN or infinite.</exception>
    public ReluNetwork(int inputDim, ReadOnlySpan<double> a, ReadOnlySpan<double> w, ReadOnlySpan<double> b,
        double linearBias = 0, ReadOnlySpan<double> linearWeights = default)
    {
        if (inputDim <= 0) throw new ArgumentException($"The input dimension must be positive, got {inputDim}.", nameof(inputDim));
        int m = a.Length;
        if (b.Length != m) throw new ArgumentException($"a has {m} entries but b has {b.Length}: both need one per hidden neuron.", nameof(b));
        if (w.Length != (long)m * inputDim)
            throw new ArgumentException($"W must have hidden x inputDim = {m} x {inputDim} = {(long)m * inputDim} entries, got {w.Length}.",
                nameof(w));
        if (!linearWeights.IsEmpty && linearWeights.Length != inputDim)
            throw new ArgumentException($"The linear weights need {inputDim} entries (one per input), got {linearWeights.Length}.",
                nameof(linearWeights));
        RequireFinite(a, nameof(a)); RequireFinite(w, nameof(w)); RequireFinite(b, nameof(b)); RequireFinite(linearWeights, nameof(linearWeights));
        if (!double.IsFinite(linearBias)) throw new ArgumentException("The linear bias is NaN or infinite.", nameof(linearBias));
        InputDim = inputDim;
        _a = a.ToArray();
        _w = w.ToArray();
        _b = b.ToArray();
        LinearBias = linearBias;
        _linearWeights = linearWeights.IsEmpty ? new double[inputDim] : linearWeights.ToArray();
    }

    /// <summary>Input dimension d.</summary>
    public int InputDim { get; }

    /// <summary>Number of hidden neurons m.</summary>
    public int Hidden => _a.Length;

    /// <summary>Output weights a (m).</summary>
    public ReadOnlySpan<double> A => _a;

    /// <summary>Input weights, m x d row-major: row i is w_i.</summary>
    public ReadOnlySpan<double> W => _w;

    /// <summary>Row i of <see cref="W"/>: the input weights w_i of neuron i.</summary>
    public ReadOnlySpan<double> WeightsOf(int neuron) => _w.AsSpan(neuron * InputDim, InputDim);

    /// <summary>Biases b (m).</summary>
    public ReadOnlySpan<double> B => _b;

    /// <summary>Constant term c0 of the linear remainder.</summary>
    public double LinearBias { get; }

    /// <summary>Weights c (d) of the linear remainder (zeros when absent).</summary>
    public ReadOnlySpan<double> LinearWeights => _linearWeights;

    /// <summary>Whether the linear remainder is non-zero.</summary>
    public bool HasLinearPart => LinearBias != 0 || Array.Exists(_linearWeights, v => v != 0);

    /// <summary>
    /// Evaluates f on a batch: <paramref name="x"/> is n x d row-major, <paramref name="y"/> receives n values.
    /// Allocation-free after the first call per element type; thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">x.Length is not y.Length * d.</exception>
    public void Evaluate(ReadOnlySpan<double> x, Span<double> y) => EvaluateCore(x, y, _double ??= new Parameters<double>(this));

    /// <summary>Evaluates f on a float batch (parameters rounded to float once).</summary>
    /// <exception cref="ArgumentException">x.Length is not y.Length * d.</exception>
    public void Evaluate(ReadOnlySpan<float> x, Span<float> y) => EvaluateCore(x, y, _single ??= new Parameters<float>(this));

    private Parameters<double>? _double;
    private Parameters<float>? _single;

    /// <summary>The parameters in the element type of a batch, with W transposed (d x m) for the projection kernel.</summary>
    private sealed class Parameters<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Parameters(ReluNetwork n)
        {
            int d = n.InputDim, m = n.Hidden;
            WTransposed = new T[d * m];
            for (int i = 0; i < m; i++)
                for (int k = 0; k < d; k++) WTransposed[k * m + i] = T.CreateTruncating(n._w[i * d + k]);
            A = Array.ConvertAll(n._a, T.CreateTruncating);
            B = Array.ConvertAll(n._b, T.CreateTruncating);
            C = Array.ConvertAll(n._linearWeights, T.CreateTruncating);
            C0 = T.CreateTruncating(n.LinearBias);
            HasLinear = n.HasLinearPart;
        }

        public T[] WTransposed { get; }
        public T[] A { get; }
        public T[] B { get; }
        public T[] C { get; }
        public T C0 { get; }
        public bool HasLinear { get; }
    }

    private void EvaluateCore<T>(ReadOnlySpan<T> x, Span<T> y, Parameters<T> p) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckBatch(x.Length, y.Length);
        int d = InputDim, m = Hidden, n = y.Length;
        if (m == 0)
        {
            for (int j = 0; j < n; j++) y[j] = p.C0 + (p.HasLinear ? TensorPrimitives.Dot<T>(p.C, x.Slice(j * d, d)) : T.Zero);
            return;
        }
        // Rows per chunk: 256, fewer for a wide hidden layer, so that the pre-activations stay within 2^20 values.
        int chunk = Math.Clamp((1 << 20) / m, 1, 256);
        T[] rented = ArrayPool<T>.Shared.Rent(chunk * m);
        try
        {
            for (int start = 0; start < n; start += chunk)
            {
                int count = Math.Min(chunk, n - start);
                Span<T> pre = rented.AsSpan(0, count * m);
                ReadOnlySpan<T> xs = x.Slice(start * d, count * d);
                // W x_j for the whole chunk (one small GEMM), then the output layer sum_i a_i relu(W x_j + b)_i per row.
                Projection.Project(xs, d, p.WTransposed, m, pre);
                Span<T> output = y.Slice(start, count);
                RowSums.Run<T, ReluOutputTerm<T>>(pre, m, p.B, p.A, output);
                for (int j = 0; j < count; j++)
                {
                    T sum = output[j] + p.C0;
                    if (p.HasLinear) sum += TensorPrimitives.Dot<T>(p.C, xs.Slice(j * d, d));
                    output[j] = sum;
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>f at one point x (d values).</summary>
    public double Evaluate(ReadOnlySpan<double> x)
    {
        Span<double> y = stackalloc double[1];
        Evaluate(x, y);
        return y[0];
    }

    /// <summary>
    /// The same function with every w_i of unit length: (a, w, b) becomes (a|w|, w/|w|, b/|w|), since
    /// relu(c t) = c relu(t) for c &gt; 0 (docs/algorithm.md section 1).
    /// </summary>
    /// <exception cref="InvalidOperationException">Some w_i is zero, so it has no direction.</exception>
    public ReluNetwork Normalized()
    {
        int d = InputDim, m = Hidden;
        var a = new double[m];
        var w = new double[m * d];
        var b = new double[m];
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<double> wi = _w.AsSpan(i * d, d);
            if (NeuronProblem(i) is string problem) throw new InvalidOperationException(problem);
            double scale = Math.Abs(TensorPrimitives.MaxMagnitude(wi)), norm = ScaledNorm(wi, scale);
            a[i] = _a[i] * norm;
            b[i] = _b[i] / norm;
            // w / |w| as (w / scale) / (|w| / scale), so that neither step under- or overflows.
            Span<double> unit = w.AsSpan(i * d, d);
            TensorPrimitives.Divide(wi, scale, unit);
            TensorPrimitives.Divide(unit, norm / scale, unit);
        }
        return new ReluNetwork(d, a, w, b, LinearBias, _linearWeights);
    }

    /// <summary>
    /// Why neuron <paramref name="neuron"/> cannot be normalised (<see cref="Normalized"/>), or <see langword="null"/>:
    /// w_i is zero (no direction), or |w_i|, a_i |w_i| or b_i / |w_i| is not a finite double. The single rule behind
    /// <see cref="Normalized"/> and the network readers' checks.
    /// </summary>
    internal string? NeuronProblem(int neuron)
    {
        ReadOnlySpan<double> wi = WeightsOf(neuron);
        double scale = Math.Abs(TensorPrimitives.MaxMagnitude(wi));
        if (scale == 0)
            return $"w_{neuron} (row {neuron} of w) is zero: the neuron has no direction (it is the constant relu(b_{neuron})); " +
                "fold it into the bias of the output layer.";
        double norm = ScaledNorm(wi, scale);
        if (!double.IsFinite(norm) || !double.IsFinite(_a[neuron] * norm) || !double.IsFinite(_b[neuron] / norm))
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            return $"w_{neuron} (row {neuron} of w) has length {norm.ToString("G4", inv)}, so normalising it to unit length " +
                $"(a |w|, w / |w|, b / |w|) does not give finite doubles (a = {_a[neuron].ToString("G4", inv)}, " +
                $"b = {_b[neuron].ToString("G4", inv)}): rescale the neuron.";
        }
        return null;
    }

    /// <summary>The first <see cref="NeuronProblem"/> of any neuron, or <see langword="null"/>.</summary>
    internal string? FirstNeuronProblem()
    {
        for (int i = 0; i < Hidden; i++)
            if (NeuronProblem(i) is string problem) return problem;
        return null;
    }

    /// <summary>|w| computed as scale |w / scale| (scale = max |w_k|), which neither underflows nor overflows in the squares.</summary>
    private static double ScaledNorm(ReadOnlySpan<double> w, double scale)
    {
        double sum = 0;
        foreach (double v in w)
        {
            double t = v / scale;
            sum += t * t;
        }
        return scale * Math.Sqrt(sum);
    }

    /// <summary>A copy with a different linear remainder c0 + &lt;c, x&gt;.</summary>
    public ReluNetwork WithLinearPart(double linearBias, ReadOnlySpan<double> linearWeights) =>
        new(InputDim, _a, _w, _b, linearBias, linearWeights);

    /// <summary>A copy without the linear remainder.</summary>
    public ReluNetwork WithoutLinearPart() => new(InputDim, _a, _w, _b);

    private void CheckBatch(int xLength, int yLength)
    {
        if ((long)yLength * InputDim != xLength)
            throw new ArgumentException($"x has {xLength} values, which is not n x d = {yLength} x {InputDim} for the {yLength} outputs requested.");
    }

    private static void RequireFinite(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}: parameters must be finite.", name);
    }
}
