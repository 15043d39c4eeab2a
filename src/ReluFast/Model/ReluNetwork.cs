namespace ReluFast.Model;

/// <summary>
/// A depth-2 ReLU network with biases and an optional linear remainder,
/// f(x) = sum_i a_i relu(&lt;w_i, x&gt; + b_i) + c0 + &lt;c, x&gt;  (ALGORITHM.md section 1).
/// Parameters are stored in double precision; row i of <see cref="W"/> is w_i.
/// </summary>
public sealed class ReluNetwork
{
    private readonly double[] _a;
    private readonly double[] _w;
    private readonly double[] _b;
    private readonly double[] _linearWeights;

    /// <summary>Creates a network from output weights a (m), input weights W (m x d, row i is w_i), biases b (m) and an optional linear remainder.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, or a parameter is NaN or infinite.</exception>
    public ReluNetwork(int inputDim, ReadOnlySpan<double> a, ReadOnlySpan<double> w, ReadOnlySpan<double> b,
        double linearBias = 0, ReadOnlySpan<double> linearWeights = default)
    {
        if (inputDim <= 0) throw new ArgumentException($"The input dimension must be positive, got {inputDim}.", nameof(inputDim));
        int m = a.Length;
        if (b.Length != m) throw new ArgumentException($"a has {m} entries but b has {b.Length}: both need one per hidden neuron.", nameof(b));
        if (w.Length != m * inputDim) throw new ArgumentException($"W must have hidden x inputDim = {m} x {inputDim} = {m * inputDim} entries, got {w.Length}.", nameof(w));
        if (!linearWeights.IsEmpty && linearWeights.Length != inputDim)
            throw new ArgumentException($"The linear weights need {inputDim} entries (one per input), got {linearWeights.Length}.", nameof(linearWeights));
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

    private static void RequireFinite(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}: parameters must be finite.", name);
    }
}
