using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;

namespace ReluFast.Learning;

/// <summary>
/// Pass 1 (docs/algorithm.md section 5): y~ = y - (linear control variate), then sum y~, sum y~ x,
/// sum y~ x x^T, and sum y~^2 for the noise floor of T_2.
/// </summary>
/// <remarks>
/// With a device (<see cref="IMomentDevice"/>) each worker, that is each pass thread, streams its blocks into its own device
/// session; the sums come back in double into the worker's accumulator when <see cref="Moments"/> is first read (or the
/// worker is merged); such a worker cannot be reset, so the pass gives each thread a fixed range of blocks and merges the
/// workers in thread order (on the CPU the blocks go out in segments). Everything else (the control variate,
/// projections, weights, sum y~^2) stays on the CPU.
/// </remarks>
internal sealed partial class SecondMomentWorker<T> : IMomentWorker<T, SecondMomentWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ControlVariate _controlVariate;
    private readonly AlignedBuffer<T> _centred; // starting a page (AlignedBuffer)
    private readonly WeightedGramAccumulator<T> _moments;
    private readonly bool _onDevice;
    private IDeviceMoments<T>? _device;

    public SecondMomentWorker(ControlVariate controlVariate, int blockSize, IMomentDevice? device = null)
    {
        _controlVariate = controlVariate;
        _onDevice = device is not null;
        _centred = new AlignedBuffer<T>(blockSize);
        _moments = new WeightedGramAccumulator<T>(controlVariate.Dimension);
        _device = device?.CreateWeightedGram<T>(controlVariate.Dimension, 1);
    }

    /// <summary>The sums (a device session's are flushed into them and the session is closed first).</summary>
    public WeightedGramAccumulator<T> Moments
    {
        get
        {
            DeviceSessions.Complete(ref _device, _moments);
            return _moments;
        }
    }

    public double SumOfSquares { get; private set; }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => Accumulate(x, y, default);

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX)
    {
        Span<T> centred = _centred.Span[..y.Length];
        _controlVariate.Apply(x, y, centred);
        if (_device is null) _moments.Accumulate(x, centred, nextX);
        else _device.Accumulate(x, centred);
        SumOfSquares += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(centred));
    }

    public void Merge(SecondMomentWorker<T> other)
    {
        Moments.Merge(other.Moments);
        SumOfSquares += other.SumOfSquares;
    }

    public bool CanReset => !_onDevice;

    public void Reset()
    {
        _moments.Reset();
        SumOfSquares = 0;
    }
}

/// <summary>
/// Pass 2: z = U^T x, y~ = y - (quadratic control variate in z), and the sums the candidates C_r = T_3 + T_4(., ., ., g_r) are
/// made of (docs/algorithm.md section 6): the 3-tensors of the weights y~ (1 + &lt;z, g_r&gt;), one per random g_r, which are
/// T_3's plus T_4's degree 3 terms, and the degree 0 to 2 sums of y~ alone (the terms of T_4 in M_0 and M_2, and the weights' own
/// degree 1 sums: sum y~ (1 + &lt;z, g&gt;) z = sum y~ z + (sum y~ z z^T) g).
/// </summary>
/// <remarks>
/// The learner uses T_3 only inside the C_r, so its degree 3 sums are not accumulated on their own: one 3-tensor per restart
/// instead of 1 + R (a quarter of the 3-tensor's multiply-adds at the default three restarts), without the weights' sums of degree
/// 0 to 2 (15 % of its lanes at m = 16); y~'s lower degrees come from a weighted Gram of z (m (m + 1) / 2 + m multiply-adds a
/// sample). A device session keeps one upload of z a block: it sums the 1 + R weights y~, y~ (1 + &lt;z, g_r&gt;) as one
/// 3-tensor with every degree (the device's arithmetic is not what bounds its pass), and its sums are split into the same two
/// accumulators when it completes.
/// </remarks>
internal sealed partial class ProjectedMomentWorker<T> : IMomentWorker<T, ProjectedMomentWorker<T>>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _basis;
    private readonly T[] _directions; // g_1..g_R as the columns of an m x R row-major matrix
    private readonly int _d, _m, _restarts;
    private readonly ControlVariate _controlVariate;
    private readonly AlignedBuffer<T> _z; // a block's z, starting a page (AlignedBuffer)
    private readonly AlignedBuffer<T> _weights; // y~, then (for a device session) y~ (1 + <z, g_r>) for each r
    private readonly T[]? _dots; // a device session's <z, g_r>, n x R
    private readonly ProjectedTensorAccumulator<T> _moments;
    private readonly WeightedGramAccumulator<T> _centredMoments;
    private readonly bool _onDevice;
    private IDeviceMoments<T>? _device;

    // basis: U, d x m row-major; directions: g_1..g_R as the columns of an m x R row-major matrix; singleProducts: the 3-tensors'
    // products in float32 for float64 samples (ProjectedTensorAccumulator, TensorPrecision.Mixed).
    public ProjectedMomentWorker(T[] basis, int d, int m, T[] directions, int restarts, ControlVariate controlVariate, int blockSize,
        IMomentDevice? device = null, bool singleProducts = false)
    {
        _basis = basis;
        _directions = directions;
        _d = d; _m = m; _restarts = restarts;
        _controlVariate = controlVariate;
        _z = new AlignedBuffer<T>(blockSize * m);
        _weights = new AlignedBuffer<T>((1 + restarts) * blockSize);
        _moments = new ProjectedTensorAccumulator<T>(m, restarts, lowerDegrees: false, singleProducts); // lower degrees: y~'s sums
        _centredMoments = new WeightedGramAccumulator<T>(m);
        _onDevice = device is not null;
        _device = device?.CreateProjectedTensor<T>(m, 1 + restarts);
        if (_device is not null) _dots = new T[blockSize * restarts];
    }

    /// <summary>The 3-tensors of the weights y~ (1 + &lt;z, g_r&gt;), r = 0 .. R - 1 (a device session's are added first).</summary>
    public ProjectedTensorAccumulator<T> Moments
    {
        get
        {
            CompleteDevice();
            return _moments;
        }
    }

    /// <summary>sum y~, sum y~ z and sum y~ z z^T (a device session's are added first).</summary>
    public WeightedGramAccumulator<T> CentredMoments
    {
        get
        {
            CompleteDevice();
            return _centredMoments;
        }
    }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        int n = y.Length;
        Span<T> z = _z.Span[..(n * _m)];
        Projection.Project(x, _d, _basis, _m, z);
        Span<T> centred = _weights.Span[..n], combined = _weights.Span.Slice(n, _restarts * n);
        if (_device is not null)
        {
            _controlVariate.Apply(z, y, centred);
            // the weights y~_j (1 + <z_j, g_r>) in memory, as the accumulator makes them
            ProjectedTensorAccumulator<T>.ContractionWeights(z, _m, centred, _directions, _restarts, _dots, combined);
            _device.Accumulate(z, _weights.Span[..((1 + _restarts) * n)]);
            return;
        }
        _moments.AccumulateContractions(z, y, _directions, _controlVariate, centred); // y~ on the way
        _centredMoments.Accumulate(z, centred);
    }

    public void Merge(ProjectedMomentWorker<T> other)
    {
        Moments.Merge(other.Moments);
        CentredMoments.Merge(other.CentredMoments);
    }

    public bool CanReset => !_onDevice;

    public void Reset()
    {
        _moments.Reset();
        _centredMoments.Reset();
    }

    /// <summary>A device session's sums of the 1 + R weights: weight 0 (y~) up to degree 2 into the centred sums, the rest as they are.</summary>
    private void CompleteDevice()
    {
        if (_device is null) return;
        var device = new ProjectedTensorAccumulator<T>(_m, 1 + _restarts);
        DeviceSessions.Complete(ref _device, device);
        _moments.AddWeights(device, firstWeight: 1);
        var first = new double[_m];
        var second = new double[_m * _m];
        device.CopyFirstMoment(0, first);
        device.CopySecondMoment(0, second);
        _centredMoments.AddSums(0, device.Count, device.WeightSum(0), first, second);
    }
}

/// <summary>
/// Pass 3: z = U^T x, y~ = y - (quadratic control variate in z), and sum y~ He_k(&lt;v_j, z&gt;) for the
/// projected directions v_j of every candidate (w_j = U v_j).
/// </summary>
internal sealed partial class CoefficientWorker<T> : IMomentWorker<T, CoefficientWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _basis;
    private readonly int _d, _m;
    private readonly ControlVariate _controlVariate;
    private readonly AlignedBuffer<T> _z; // a block's z, starting a page (AlignedBuffer)
    private readonly AlignedBuffer<T> _centred; // starting a page (AlignedBuffer)
    private readonly HermiteProjectionAccumulator<T> _moments;
    private readonly bool _onDevice;
    private IDeviceMoments<T>? _device;

    // directions: m x count row-major; column j is v_j.
    public CoefficientWorker(T[] basis, int d, int m, double[] directions, int count, int maxOrder, ControlVariate controlVariate, int blockSize,
        IMomentDevice? device = null)
    {
        _basis = basis;
        _d = d; _m = m;
        _controlVariate = controlVariate;
        _z = new AlignedBuffer<T>(blockSize * m);
        _centred = new AlignedBuffer<T>(blockSize);
        _moments = new HermiteProjectionAccumulator<T>(m, directions, count, maxOrder);
        _onDevice = device is not null;
        _device = device?.CreateHermiteProjection<T>(m, directions, count, maxOrder);
    }

    /// <summary>The sums (a device session's are flushed into them and the session is closed first).</summary>
    public HermiteProjectionAccumulator<T> Moments
    {
        get
        {
            DeviceSessions.Complete(ref _device, _moments);
            return _moments;
        }
    }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        int n = y.Length;
        Span<T> z = _z.Span[..(n * _m)];
        Projection.Project(x, _d, _basis, _m, z);
        Span<T> centred = _centred.Span[..n];
        _controlVariate.Apply(z, y, centred);
        if (_device is null) _moments.Accumulate(z, centred);
        else _device.Accumulate(z, centred);
    }

    public void Merge(CoefficientWorker<T> other) => Moments.Merge(other.Moments);

    public bool CanReset => !_onDevice;

    public void Reset() => _moments.Reset();
}
