using System.Runtime.CompilerServices;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Moments;
using static TorchSharp.torch;

namespace ReluFast.Learning;

/// <summary>
/// The Fisher information of the model y = f(x; theta) + noise (Gaussian noise of variance s^2) per sample,
/// (1/s^2) E[grad f grad f^T] (docs/algorithm.md section 18), estimated on a set of inputs, and what follows from it:
/// the Gauss-Newton steps of the streamed refinement, the covariance of the least-squares estimate (its standard errors)
/// and the Cramer-Rao bound. Parameters are in the refinement's flat layout [W (m x d), b (m), a (m), c0, c (d)].
/// </summary>
/// <remarks>
/// f is unchanged by (a_i, w_i, b_i) -> (a_i / t, t w_i, t b_i), so E[grad f grad f^T] is singular along each neuron's
/// direction v_i = (w_i, b_i, -a_i). <see cref="FromGram"/> inverts it on the identifiable directions (a penalty along v_i,
/// which leaves the others unchanged), and covariances are stated for the normalised network (|w_i| = 1), whose
/// perturbation is the linear map <see cref="Normalise"/> of the raw one (it is zero along v_i). The information is formed
/// and inverted in the coordinates (W, b, a / s, c0 / s, c / s) of f / s, s the power of two nearest to f's standard deviation
/// on the inputs (docs/algorithm.md section 18): the unit of y then changes no eigenvalue's rank against the floor.
/// </remarks>
internal sealed class FisherInformation
{
    /// <summary>Largest number of parameters for which the p x p information is formed (its memory is 8 p^2 bytes, its
    /// inversion p^3): 2,500 (50 MB) covers d = 64 with m = 32, or d = 20 with m = 100.</summary>
    public const int MaximumParameters = 2_500;

    private readonly double[] _vectors;   // p x p row-major, eigenvector k in column k
    private readonly double[] _values;    // eigenvalues of the penalised information
    private readonly double _floor;       // eigenvalues below it are treated as zero information
    private readonly double _responseScale; // s: the information above is that of f / s in (W, b, a / s, c0 / s, c / s)

    private FisherInformation(ReluNetwork network, double[] vectors, double[] values, double floor, double responseScale)
    {
        Network = network;
        _vectors = vectors;
        _values = values;
        _floor = floor;
        _responseScale = responseScale;
    }

    /// <summary>The network at which the information was formed (unit w_i).</summary>
    public ReluNetwork Network { get; }

    /// <summary>Number of parameters p.</summary>
    public int Parameters => _values.Length;

    /// <summary>
    /// G = (1/n) sum_j grad f(x_j) grad f(x_j)^T over the n inputs x (n x d row-major) at <paramref name="network"/> (normalised
    /// first), computed with the weighted Gram kernel on blocks of Jacobian rows split over <paramref name="threads"/> threads
    /// (0: all processors), and its eigendecomposition.
    /// </summary>
    /// <exception cref="ArgumentException">More than <see cref="MaximumParameters"/> parameters, or no inputs.</exception>
    public static FisherInformation Estimate(ReluNetwork network, ReadOnlyMemory<double> x, CancellationToken cancellationToken = default,
        int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        network = network.Normalized();
        int m = network.Hidden, d = network.InputDim, p = MseGradient.ParameterCount(m, d);
        if (p > MaximumParameters)
            throw new ArgumentException($"The Fisher information of {p} parameters is not formed (at most {MaximumParameters}).", nameof(network));
        int n = x.Length / d;
        if (n <= 0) throw new ArgumentException("The Fisher information needs at least one input.", nameof(x));
        var gram = Gram(network, x, n, cancellationToken, threads);
        return FromGram(network, gram, p, ResponseScale(network, x.Span, n));
    }

    /// <summary>
    /// The information of an explicit G (p x p, per sample, in the raw flat layout) at a normalised network, formed in the
    /// coordinates of f / <paramref name="responseScale"/>: G' = S G S with S = 1 / responseScale on W and b, 1 on (a, c0, c).
    /// </summary>
    internal static FisherInformation FromGram(ReluNetwork network, double[] gram, int p, double responseScale)
    {
        int m = network.Hidden, outputLayer = MseGradient.OutputLayerStart(m, network.InputDim);
        // The rows of W and b carry a factor a (the unit of y), those of (a, c0, c) none: without the balance y x 10^4 put the
        // output layer's eigenvalues 10^8 times further below the largest, under the floor (every a "infinitely" uncertain).
        double inverse = 1 / responseScale;
        for (int r = 0; r < p; r++)
            for (int c = 0; c < p; c++)
                gram[r * p + c] *= (r < outputLayer ? inverse : 1) * (c < outputLayer ? inverse : 1);
        // A penalty along each gauge direction v_i at the scale of G's diagonal makes the matrix invertible without
        // touching the identifiable directions (G v_i = 0).
        double scale = 0;
        for (int k = 0; k < p; k++) scale += gram[k * p + k];
        scale = Math.Max(scale / p, 1e-300);
        var v = new double[p];
        for (int i = 0; i < m; i++)
        {
            Array.Clear(v);
            Gauge(network, i, v);
            v[outputLayer + i] *= inverse; // (w_i, b_i, -a_i / s) in the balanced coordinates
            double norm = 0;
            foreach (double t in v) norm += t * t;
            for (int r = 0; r < p; r++)
                if (v[r] != 0)
                    for (int c = 0; c < p; c++) gram[r * p + c] += scale * v[r] * v[c] / norm;
        }
        var (lambda, u) = DenseBackend.IsManaged(p) ? SymmetricEigen.Decompose(gram, p) : EigenTorch(gram, p);
        double floor = RelativeFloor * Math.Max(lambda[^1], 1e-300);
        return new FisherInformation(network, u, lambda, floor, responseScale);
    }

    /// <summary>The power of two nearest to f's standard deviation over the inputs (<see cref="Refinement.ResponseScale"/>).</summary>
    private static double ResponseScale(ReluNetwork network, ReadOnlySpan<double> x, int n)
    {
        var f = new double[n];
        network.Evaluate(x[..(n * network.InputDim)], f);
        double mean = System.Numerics.Tensors.TensorPrimitives.Sum<double>(f) / n, variance = 0;
        foreach (double v in f) variance += (v - mean) * (v - mean);
        return Refinement.ResponseScale(variance / n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (double[] Values, double[] Vectors) EigenTorch(double[] gram, int p)
    {
        using var scope = NewDisposeScope();
        var (values, vectors) = linalg.eigh(TorchTensors.Matrix(gram, p, p));
        return (TorchTensors.ToArray(values), TorchTensors.ToArray(vectors));
    }

    /// <summary>Eigenvalues below this fraction of the largest carry no information (parameters that load on them have an
    /// infinite standard error): round-off of a Gram of doubles.</summary>
    public const double RelativeFloor = 1e-13;

    /// <summary>The Gauss-Newton step -G^+ g for the mean-squared-error gradient g = (1/n) sum_j e_j grad f(x_j).</summary>
    public double[] Step(ReadOnlySpan<double> gradient)
    {
        int p = Parameters, outputLayer = MseGradient.OutputLayerStart(Network.Hidden, Network.InputDim);
        // in the balanced coordinates: g' = g / s^2 on (W, b), g / s on (a, c0, c); the step comes back times (1, s)
        double inverse = 1 / _responseScale;
        var coefficients = new double[p];
        for (int r = 0; r < p; r++)
        {
            double g = gradient[r] * inverse * (r < outputLayer ? inverse : 1);
            if (g == 0) continue;
            for (int k = 0; k < p; k++) coefficients[k] += _vectors[r * p + k] * g;
        }
        for (int k = 0; k < p; k++) coefficients[k] = _values[k] > _floor ? coefficients[k] / _values[k] : 0;
        var step = new double[p];
        for (int r = 0; r < p; r++)
        {
            double s = 0;
            for (int k = 0; k < p; k++) s += _vectors[r * p + k] * coefficients[k];
            step[r] = -s * (r < outputLayer ? 1 : _responseScale);
        }
        return step;
    }

    /// <summary>
    /// The covariance of the normalised parameters per unit noise variance and per sample: N G^+ N^T (p x p row-major), with
    /// N = <see cref="Normalise"/>. A least-squares fit on n samples with noise variance s^2 has covariance s^2 / n times
    /// this (the Cramer-Rao bound at the true parameters). Parameters that load on a direction without information get
    /// an infinite variance.
    /// </summary>
    public double[] NormalisedCovariance()
    {
        int p = Parameters, outputLayer = MseGradient.OutputLayerStart(Network.Hidden, Network.InputDim);
        // Columns of N T U' scaled by lambda'^(-1/2) / s, U' and lambda' those of the balanced information and T = (1 on W and
        // b, s on the output layer) its change of coordinates: G^+ = T G'^+ T / s^2, the covariance K K^T.
        var k = new double[p * p];
        var column = new double[p];
        var mapped = new double[p];
        var blind = new bool[p];
        for (int c = 0; c < p; c++)
        {
            for (int r = 0; r < p; r++) column[r] = _vectors[r * p + c] * (r < outputLayer ? 1 : _responseScale);
            Normalise(Network, column, mapped);
            if (_values[c] > _floor)
            {
                double s = 1 / (Math.Sqrt(_values[c]) * _responseScale);
                for (int r = 0; r < p; r++) k[r * p + c] = mapped[r] * s;
            }
            else
            {
                for (int r = 0; r < p; r++) // the loading in the balanced coordinates (N commutes with T)
                    if (Math.Abs(mapped[r] / (r < outputLayer ? 1 : _responseScale)) > 1e-6) blind[r] = true;
            }
        }
        var covariance = DenseBackend.IsManaged(p) ? DenseMatrix.MultiplyTransposed(k, p, p, k, p) : ProductTorch(k, p, p, k, p, transposed: true);
        for (int r = 0; r < p; r++)
            if (blind[r])
                for (int c = 0; c < p; c++) covariance[r * p + c] = covariance[c * p + r] = double.PositiveInfinity;
        return covariance;
    }

    /// <summary>
    /// The first-order change of the normalised parameters (|w_i| = 1) under a change <paramref name="raw"/> of the raw
    /// ones at a normalised network: with s = &lt;w_i, dw_i&gt;, dw_i' = dw_i - s w_i, da_i' = da_i + s a_i, db_i' = db_i - s b_i.
    /// </summary>
    public static void Normalise(ReluNetwork network, ReadOnlySpan<double> raw, Span<double> normalised)
    {
        int m = network.Hidden, d = network.InputDim;
        raw.CopyTo(normalised);
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<double> w = network.WeightsOf(i);
            double s = 0;
            for (int k = 0; k < d; k++) s += w[k] * raw[i * d + k];
            for (int k = 0; k < d; k++) normalised[i * d + k] -= s * w[k];
            normalised[m * d + i] -= s * network.B[i];
            normalised[m * d + m + i] += s * network.A[i];
        }
    }

    /// <summary>
    /// The covariance of <paramref name="map"/>(network) from the covariance of the network's flat parameters: J C J^T with the
    /// Jacobian J of the map (central differences; the map is smooth, e.g. back to x's coordinates from whitened ones).
    /// </summary>
    public static double[] MapCovariance(ReadOnlySpan<double> covariance, ReluNetwork network, Func<ReluNetwork, ReluNetwork> map)
    {
        int m = network.Hidden, d = network.InputDim, p = MseGradient.ParameterCount(m, d);
        var theta = IMseObjective.Pack(network);
        var mapped = IMseObjective.Pack(map(network));
        int q = mapped.Length;
        var jacobian = new double[q * p];
        for (int k = 0; k < p; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(theta[k]));
            double saved = theta[k];
            theta[k] = saved + h;
            var plus = IMseObjective.Pack(map(IMseObjective.Unpack(theta, m, d)));
            theta[k] = saved - h;
            var minus = IMseObjective.Pack(map(IMseObjective.Unpack(theta, m, d)));
            theta[k] = saved;
            for (int r = 0; r < q; r++) jacobian[r * p + k] = (plus[r] - minus[r]) / (2 * h);
        }
        if (!DenseBackend.IsManaged(Math.Max(p, q)))
            return ProductTorch(ProductTorch(jacobian, q, p, covariance.ToArray(), p, transposed: false), q, p, jacobian, q, transposed: true);
        var jc = DenseMatrix.Multiply(jacobian, q, p, covariance, p);
        return DenseMatrix.MultiplyTransposed(jc, q, p, jacobian, q);
    }

    /// <summary>A B (B inner x columns) or A B^T (B columns x inner) of the rows x inner A through libtorch.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double[] ProductTorch(double[] a, int rows, int inner, double[] b, int columns, bool transposed)
    {
        using var scope = NewDisposeScope();
        var at = TorchTensors.Matrix(a, rows, inner);
        var bt = transposed ? TorchTensors.Matrix(b, columns, inner).T : TorchTensors.Matrix(b, inner, columns);
        return TorchTensors.ToArray(at.matmul(bt));
    }

    /// <summary>Neuron i's scaling direction v_i = (w_i, b_i, -a_i) in the flat layout (added into v).</summary>
    private static void Gauge(ReluNetwork network, int i, Span<double> v)
    {
        int m = network.Hidden, d = network.InputDim;
        network.WeightsOf(i).CopyTo(v.Slice(i * d, d));
        v[m * d + i] = network.B[i];
        v[m * d + m + i] = -network.A[i];
    }

    /// <summary>
    /// (1/n) sum_j J_j J_j^T with J_j = grad f(x_j), through <see cref="BandedGram"/>: split over <paramref name="threads"/> threads
    /// (0: all processors) by its columns, each entry summed over the inputs in their order, so the same bits for every thread
    /// count, in one p x p array (8 p^2 bytes).
    /// </summary>
    internal static double[] Gram(ReluNetwork network, ReadOnlyMemory<double> x, int n, CancellationToken cancellationToken = default,
        int threads = 0)
    {
        int m = network.Hidden, d = network.InputDim, p = MseGradient.ParameterCount(m, d);
        var wT = new double[d * m];
        MseGradient.Transpose(IMseObjective.Pack(network), m, d, wT);
        var gram = BandedGram.Run(p, n, (first, count, rows, stride, z) => JacobianRows(network, wT, x.Span.Slice(first * d, count * d),
            rows, stride, z), m, threads, cancellationToken);
        for (int k = 0; k < gram.Length; k++) gram[k] /= n;
        return gram;
    }

    /// <summary>J_j = grad f(x_j) for the rows of <paramref name="x"/> into <paramref name="rows"/> (stride apart), z: scratch of n m.</summary>
    private static void JacobianRows(ReluNetwork network, double[] wT, ReadOnlySpan<double> x, Span<double> rows, int stride, Span<double> z)
    {
        int m = network.Hidden, d = network.InputDim, n = x.Length / d;
        ReadOnlySpan<double> a = network.A, b = network.B;
        Projection.Project(x, d, wT, m, z[..(n * m)]);
        for (int j = 0; j < n; j++)
        {
            Span<double> row = rows.Slice(j * stride, MseGradient.ParameterCount(m, d));
            ReadOnlySpan<double> xj = x.Slice(j * d, d);
            for (int i = 0; i < m; i++)
            {
                double pre = z[j * m + i] + b[i];
                bool active = pre > 0;
                Span<double> wRow = row.Slice(i * d, d);
                if (active) System.Numerics.Tensors.TensorPrimitives.Multiply(xj, a[i], wRow);
                else wRow.Clear();
                row[m * d + i] = active ? a[i] : 0;          // df/db_i
                row[m * d + m + i] = active ? pre : 0;       // df/da_i = relu(pre)
            }
            row[m * d + 2 * m] = 1;                          // df/dc0
            xj.CopyTo(row.Slice(m * d + 2 * m + 1, d));      // df/dc
        }
    }
}
