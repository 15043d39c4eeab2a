using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// Streaming weighted moments of projected samples z in R^m (docs/algorithm.md sections 4 and 6): for each of L
/// per-sample weight vectors c_l, sum c, sum c z (m), sum c z z^T (m x m) and the symmetric 3-tensor
/// sum c z (x) z (x) z. Only the unique entries i &lt;= j &lt;= k are accumulated (about m^3/6 per sample);
/// copies expose the full tensor.
/// </summary>
/// <remarks>
/// Every sum is one entry of a single <see cref="PrefixGemm"/> per tile of samples, for all L weights together (the layout of
/// <see cref="QuarticMonomialAccumulator{T}"/>, one degree lower):
/// <list type="bullet">
/// <item>rows (A): the weights c_l, then for each i = 0..m-1 and each weight c_l z_i;</item>
/// <item>columns (B): z_0 .. z_(m-1), the constant 1, then for each j = 0..m-1 the group z_j z_j, z_j z_(j+1), .., z_j z_(m-1).</item>
/// </list>
/// z_i z_j z_k (i &lt;= j &lt;= k) is row (i, l) times column z_j z_k, so column group j needs the rows with i &lt;= j: a prefix, and
/// the kernel spends no lane on an entry below the diagonal except where a panel of columns straddles two groups. The weights'
/// rows against the columns give the sums of degree 0 to 2; the columns before the pairs need those rows only. At m = 16 and
/// four weights (float64) that is 516 vector multiply-adds per sample for the 485 vectors' worth of unique sums; two products
/// (the pair features against c o z, and the pairs within each panel against the columns before them) took 672. For small m on
/// 512-bit vectors (<see cref="LaneMaxDimension"/>) the same sums, in the same places, come from <see cref="SampleLaneTensor"/>,
/// the samples along the lanes and the operands in registers (one multiply-add for each of the 660 sums a sample at m = 8 and
/// four weights, where the panels take 864 lanes). Totals are double; partial sums over one tile of samples are in T (in float32
/// for a float64 accumulator with single-precision products: on the lanes, or in a float32 twin that holds its own sums and a
/// flat copy of them, about twice this accumulator's memory, off them).
/// Accumulate does not allocate (below the lanes' limit the panels' tiles wait for a thread that takes them: forced narrower
/// vectors); instances are not thread-safe.
/// <para>Without the lower degrees (<see cref="HasLowerDegrees"/> false) only the 3-tensors are kept: no rows c_l, no columns z and
/// 1, the pairs from column 0 and the rows c_l z_i from row 0; each 3-tensor entry is the same product of a row and a column.
/// Pass 2 needs nothing else from its weights (docs/algorithm.md section 6): at m = 16 and three weights, 2816 lanes a sample in
/// float64 instead of 3328. On the sample lanes these take <see cref="SampleLaneTensor"/>, whose operands never leave the
/// registers: one multiply-add for each of the 2448 unique sums and 576 multiplies a sample.</para>
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class ProjectedTensorAccumulator<T> : PrefixProductAccumulator<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int _m, _l, _constant, _wStride;
    private readonly int _shift; // weights' row segments before c_l z_0's: 1 with the lower degrees (the rows c_l), 0 without
    private readonly int[] _groupStart;
    private AlignedBuffer<T>? _w; // the weights sample by sample (the panels' path: null until taken where lanes are)
    private readonly LaneProducts<T>? _rowProducts, _columnProducts; // the 512-bit builders where z and the weights fit in two vectors
    private readonly SampleLaneTensor.Tile[]? _laneTiles; // small m on 512-bit vectors: the sample lanes' register tiles
    private readonly AlignedBuffer<T>? _laneSteps; // their tile of samples: z, the weights (and ones) step by step
    private readonly int _laneStepVectors, _laneTileSteps;
    private readonly AlignedBuffer<float>? _singleSteps; // single-precision products: the tile of steps narrowed to float32
    private readonly bool _singleProducts; // float64 samples with float32 products: the narrowed lanes, else the float32 twin
    private ProjectedTensorAccumulator<float>? _twin; // single-precision products off the lanes: one block's sums (on first use)
    private float[]? _twinInputs; // its z and weights, rounded
    private double[]? _twinState; // its sums in the flat layout of CopyState, on their way into these
    private T[]? _contractionScratch; // the panels' path of AccumulateContractions: the weights and the dots of a block
    private T[]? _laneForms; // a lane tile's control-variate forms (AccumulateContractions with a control variate; on first use)

    /// <summary>
    /// Largest m the sample-lane kernels take (<see cref="SampleLaneTensor"/>): below it the panels' permuted rows and straddled
    /// groups cost more than the lanes' few multiplies a register tile. Measured on Zen 5, one thread in cache (docs/passes.md,
    /// "The small 3-tensor on the sample lanes" and the sections after it; the lanes then built their operands into memory).
    /// The 3-tensors alone (three weights, pass 2's accumulator), operands in registers: float64 m = 16 66-68 ns a sample, m = 20
    /// 120-130, m = 24 210-244 against the panels' 251-270, m = 28 341-391 against 360-366, m = 32 the panels'; float32 m = 16
    /// 33-36 against 52-53, m = 20 66-71 against 82-89, m = 24 111-121 against 119-124 but through the pass on two threads 202-205
    /// against the panels' 243 GFLOP/s. With the lower degrees (three weights) float64 m = 20 140-150 against 182-188, m = 24
    /// 233-234 against 281-282 (the operands built into memory had stopped at 15), float32 m = 20 76-89 against 91, m = 24 through
    /// the pass on two threads 201-214 against 231-233 GFLOP/s: 24 in float64, 20 in float32 for either layout.
    /// </summary>
    internal static int LaneMaxDimension => typeof(T) == typeof(double) ? 24 : 20;

    /// <summary>Whether this size takes the sample lanes on this machine (unless a thread forces narrower vectors).</summary>
    private static bool TakesLanes(int dimension) => Vector512.IsHardwareAccelerated && dimension <= LaneMaxDimension;

    /// <summary>
    /// Bytes of the sample lanes' tile of steps (z and the weights), which every register tile reads again: it stays in L1 (16 KB to
    /// 1.5 MB a tile measured at m = 8, 16, 24: 32-40 KB the fastest, 96 KB and more up to 1.5x slower).
    /// </summary>
    private const int LaneTileBytes = 40960;

    /// <summary>Bytes of a tile's rows and columns: the tile stays in L2 while the kernels read it.</summary>
    private const int TileBytes = 262144;

    /// <summary>
    /// The fewest samples a tile holds, whatever its bytes. Every tile ends by adding its partial sums to the double totals, all
    /// m(m+1)(m+2)/6 x L of them (1.4 MB at m = 64 and four weights) and about as many as the kernels' lanes per sample, so that
    /// read-modify-write costs about one sample's kernel work per tile, from L3. At 256 KiB alone a tile was 48 samples at m = 32 and
    /// 16 at m = 64, and on a two-pipe core two threads ran slower than one at m = 64, their flushes contending for the shared L3
    /// (docs/passes.md, "A two-pipe machine").
    /// </summary>
    private const int MinimumTileSamples = 128;

    /// <summary>
    /// Creates an empty accumulator for z in R^<paramref name="dimension"/> and <paramref name="weightCount"/> weight vectors; without
    /// <paramref name="lowerDegrees"/> it keeps the 3-tensors only. With <paramref name="singleProducts"/> a float64 accumulator on
    /// the sample lanes rounds each tile's z and weights (made in float64) to float32 and takes the float32 register tiles: products
    /// and partial sums over the tile in float32, the totals in float64 (docs/passes.md, "Pass 2's 3-tensors in float32 products");
    /// off the lanes (larger m, narrower vectors) each block goes through a float32 accumulator of the same shape whose sums are
    /// added to these. A float32 accumulator ignores it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">dimension or weightCount is not positive.</exception>
    public ProjectedTensorAccumulator(int dimension, int weightCount = 1, bool lowerDegrees = true, bool singleProducts = false)
        : this(dimension, weightCount, lowerDegrees ? 1 : 0, Layout(dimension, weightCount, lowerDegrees ? 1 : 0), singleProducts)
    {
    }

    private ProjectedTensorAccumulator(int dimension, int weightCount, int shift, (int[] GroupStart, int[] RowEnds) layout,
        bool singleProducts)
        : base(dimension, weightCount, layout.RowEnds, TileBytes, tileCountsCopy: false, MinimumTileSamples,
            TakesLanes(dimension) || (singleProducts && typeof(T) == typeof(double)))
    {
        int unit = PrefixGemm.PanelWidth<T>();
        _singleProducts = singleProducts && typeof(T) == typeof(double);
        _m = dimension;
        _l = weightCount;
        _shift = shift;
        _constant = shift == 1 ? dimension : -1;
        _groupStart = layout.GroupStart;
        _wStride = Simd.RoundUp(weightCount, unit);
        if (!TakesLanes(dimension) && !_singleProducts) _w = new AlignedBuffer<T>(_tile * _wStride);
        // the rows c_l (with the lower degrees), then c_l z_i (the weights in one vector); the columns z_j and 1 (with the lower
        // degrees), then z_j z_k by groups (-1 reads 1, padding reads entry 0)
        int rowSegments = dimension + shift;
        if (LaneProducts<T>.Fits(weightCount, dimension) && weightCount <= unit)
        {
            var ia = new int[Simd.RoundUp(_rowEnds[^1], unit)];
            var ib = new int[ia.Length];
            for (int q = 0; q < weightCount * rowSegments; q++) (ia[q], ib[q]) = (q % weightCount, q / weightCount - shift);
            _rowProducts = new LaneProducts<T>(ia, ib);
        }
        if (LaneProducts<T>.Fits(dimension, dimension))
        {
            var ia = new int[_cStride];
            var ib = new int[_cStride];
            if (HasLowerDegrees)
            {
                for (int j = 0; j < dimension; j++) (ia[j], ib[j]) = (j, -1);
                (ia[_constant], ib[_constant]) = (-1, -1);
            }
            for (int j = 0; j < dimension; j++)
                for (int k = j; k < dimension; k++) (ia[PairColumn(j, k)], ib[PairColumn(j, k)]) = (j, k);
            _columnProducts = new LaneProducts<T>(ia, ib);
        }
        if (TakesLanes(dimension))
        {
            // a step's z_0 .. z_(m-1), the weights, then ones (with the lower degrees; an odd number of vectors a step)
            int vl = Vector512<T>.Count;
            _laneStepVectors = (dimension + weightCount + shift) | 1;
            // with single-precision products the float64 tile holds twice the steps, so that the float32 tile the register tiles
            // read holds the lane tile's bytes (with float64's steps, their lane sums and flushes doubled: 83 against 57 ns a sample
            // for pass 2's worker at m = 16, docs/passes.md)
            _laneTileSteps = Math.Clamp(LaneTileBytes / (_laneStepVectors * 64), 8, 128) * (_singleProducts ? 2 : 1);
            _laneSteps = new AlignedBuffer<T>(_laneTileSteps * _laneStepVectors * vl);
            if (shift == 1)
            {
                int one = SampleLaneTensor.Constant(dimension, weightCount);
                for (int s = 0; s < _laneTileSteps; s++) _laneSteps.Span.Slice((s * _laneStepVectors + one) * vl, vl).Fill(T.One);
            }
            _laneTiles = SampleLaneTensor.Plan(dimension, weightCount, ThirdIndex, shift == 1 ? LowerIndex : null);
            if (_singleProducts)
            {
                int singleSteps = (_laneTileSteps + 1) / 2, sl = Vector512<float>.Count;
                _singleSteps = new AlignedBuffer<float>(singleSteps * _laneStepVectors * sl);
                if (shift == 1)
                {
                    int one = SampleLaneTensor.Constant(dimension, weightCount);
                    for (int s = 0; s < singleSteps; s++) _singleSteps.Span.Slice((s * _laneStepVectors + one) * sl, sl).Fill(1f);
                }
            }
        }
    }

    /// <summary>Whether the sums of degree 0 to 2 are kept (the constructor's lowerDegrees); without them only the 3-tensors.</summary>
    public bool HasLowerDegrees => _shift == 1;

    /// <summary>
    /// Adds a block of n samples with pass 2's weights c_l = y (1 + &lt;z, g_l&gt;) (docs/algorithm.md section 6), one for each column
    /// g_l of <paramref name="directions"/> (m x L row-major): z is n x m, y has n entries. Each weight is fma(y_j, d_lj, y_j) with
    /// d_lj = &lt;z_j, g_l&gt; as <see cref="ContractionWeights"/> computes it. On the sample lanes they are made in the tile of steps
    /// from z's transposed vectors, so they never go through memory, as the same chains of FMAs over i = 0 .. m - 1 that
    /// <see cref="Projection.Project{T}"/> takes at those sizes: the same bits. The panels' path takes ContractionWeights into a
    /// scratch block, allocated on the first call and when a block is longer than any before.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match m and L.</exception>
    public void AccumulateContractions(ReadOnlySpan<T> z, ReadOnlySpan<T> y, ReadOnlySpan<T> directions)
    {
        int m = _m, l = _l, n = y.Length;
        RequireContractionShapes(z, n, directions);
        if (Lanes(z, y, directions, n))
        {
            Count += n;
            return;
        }
        if (_contractionScratch is null || _contractionScratch.Length < 2L * l * n) _contractionScratch = new T[2 * l * n];
        Span<T> weights = _contractionScratch.AsSpan(0, l * n);
        ContractionWeights(z, m, y, directions, l, _contractionScratch.AsSpan(l * n, l * n), weights);
        Accumulate(z, weights);
    }

    /// <summary>
    /// <paramref name="centred"/> = y - p(z) for the control variate p (n entries, as <see cref="ControlVariate.Apply{T}"/> writes
    /// them, to the bit), then the sums of <see cref="AccumulateContractions(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    /// with weights centred (1 + &lt;z, g_l&gt;). On the sample lanes a quadratic p's forms are made from the tile's transposed z
    /// (<see cref="SymmetricForms.RunSteps{T}"/>), so z is transposed once for both; elsewhere p is applied first.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match m and L, or p is not of dimension m.</exception>
    public void AccumulateContractions(ReadOnlySpan<T> z, ReadOnlySpan<T> y, ReadOnlySpan<T> directions, ControlVariate controlVariate,
        Span<T> centred)
    {
        int m = _m, n = y.Length;
        if (controlVariate.Dimension != m)
            throw new ArgumentException($"The control variate has dimension {controlVariate.Dimension}, not m = {m}.", nameof(controlVariate));
        if (centred.Length != n) throw new ArgumentException($"centred needs {n} entries, got {centred.Length}.", nameof(centred));
        RequireContractionShapes(z, n, directions);
        if (controlVariate.Degree == 2 && UsesSampleLanes)
        {
            Lanes(z, y, directions, n, controlVariate, centred);
            Count += n;
            return;
        }
        controlVariate.Apply(z, y, centred);
        AccumulateContractions(z, centred, directions);
    }

    /// <summary>z must be n x m and the directions m x L.</summary>
    private void RequireContractionShapes(ReadOnlySpan<T> z, int n, ReadOnlySpan<T> directions)
    {
        int m = _m, l = _l;
        if ((long)n * m != z.Length)
            throw new ArgumentException($"z has {z.Length} entries but {n} samples of dimension {m} need {(long)n * m}.", nameof(z));
        if (directions.Length != m * l)
            throw new ArgumentException($"directions must be m x L = {m} x {l} entries, got {directions.Length}.", nameof(directions));
    }

    /// <summary>
    /// weights[l n + j] = fma(y_j, d_lj, y_j) with d_lj = &lt;z_j, g_l&gt; (g_l column l of <paramref name="directions"/>, m x L) from
    /// <see cref="Projection.Project{T}"/> into <paramref name="dots"/> (n x L scratch): the weights
    /// <see cref="AccumulateContractions(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/> sums, for a caller that needs them in
    /// memory (a device session, libtorch).
    /// </summary>
    internal static void ContractionWeights(ReadOnlySpan<T> z, int m, ReadOnlySpan<T> y, ReadOnlySpan<T> directions, int l,
        Span<T> dots, Span<T> weights)
    {
        int n = y.Length;
        Projection.Project(z, m, directions, l, dots[..(n * l)]);
        for (int w = 0; w < l; w++)
        {
            Span<T> to = weights.Slice(w * n, n);
            for (int j = 0; j < n; j++) to[j] = T.FusedMultiplyAdd(y[j], dots[j * l + w], y[j]);
        }
    }

    /// <summary>
    /// Small m on 512-bit vectors (<see cref="SampleLaneTensor"/>): per tile of steps z transposed and the weights (zero past the tile's
    /// samples) into the step layout, then every register tile over the steps, each sum added to the entry the panels' path adds
    /// it to.
    /// </summary>
    private protected override bool AccumulateByLanes(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, int n) =>
        Lanes(x, weights, default, n) || ByTwin(x, weights, n);

    /// <summary>
    /// Single-precision products off the sample lanes (m past their limit, narrower vectors): the block's z and weights rounded to
    /// float32 into a float32 accumulator of the same shape, whose sums (its tiles' float32 partial sums added in float64) are
    /// added to these through the flat state both layouts share (<see cref="CopyState"/>, <see cref="AddState"/>) and cleared.
    /// Its scratch is allocated on the first call and when a block is longer than any before.
    /// </summary>
    private bool ByTwin(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, int n)
    {
        if (!_singleProducts) return false;
        _twin ??= new ProjectedTensorAccumulator<float>(_m, _l, HasLowerDegrees);
        _twinState ??= new double[StateLength];
        if (_twinInputs is null || _twinInputs.Length < x.Length + weights.Length) _twinInputs = new float[x.Length + weights.Length];
        Span<float> z = _twinInputs.AsSpan(0, x.Length), c = _twinInputs.AsSpan(x.Length, weights.Length);
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(MemoryMarshal.Cast<T, double>(x), z);
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(MemoryMarshal.Cast<T, double>(weights), c);
        _twin.Accumulate(z, c);
        _twin.CopyState(_twinState);
        _twinState[0] = 0; // the block's count: Accumulate adds it
        AddState(_twinState);
        _twin.Reset();
        return true;
    }

    /// <summary>
    /// <see cref="AccumulateByLanes"/> with the weights L x n, or, with <paramref name="directions"/>, y (n entries) and the weights
    /// made in each step from it and the step's z (<see cref="AccumulateContractions(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Lanes(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> directions, int n, ControlVariate? controlVariate = null,
        Span<T> centred = default)
    {
        if (_laneTiles is null || !SampleLaneTensor.Supported) return false;
        int m = _m, l = _l, vl = Vector512<T>.Count, tile = _laneTileSteps * vl, stepLength = _laneStepVectors * vl;
        Span<T> buffer = _laneSteps!.Span;
        ref T br = ref MemoryMarshal.GetReference(buffer);
        (T constant, T[] linear, T[] upper) = controlVariate is null ? default : controlVariate.QuadraticTerms<T>();
        if (controlVariate is not null) _laneForms ??= new T[tile];
        for (int k0 = 0; k0 < n; k0 += tile)
        {
            int nt = Math.Min(tile, n - k0), steps = (nt + vl - 1) / vl;
            LaneTranspose.Run<T>(x.Slice(k0 * m, nt * m), m, nt, buffer, stepLength);
            if (controlVariate is not null)
            {
                // the tile's y~ = (y - constant) - forms, the forms from the transposed z: centred's entries, then the weights' y
                Span<T> forms = _laneForms.AsSpan(0, steps * vl);
                SymmetricForms.RunSteps<T>(buffer, stepLength, steps, m, linear, upper, forms);
                ControlVariate.SubtractForms<T>(weights.Slice(k0, nt), constant, forms[..nt], centred.Slice(k0, nt));
                StepContractions(ref br, stepLength, steps, ref MemoryMarshal.GetReference(centred.Slice(k0, nt)), nt,
                    ref MemoryMarshal.GetReference(directions));
            }
            else if (!directions.IsEmpty)
            {
                StepContractions(ref br, stepLength, steps, ref MemoryMarshal.GetReference(weights.Slice(k0, nt)), nt,
                    ref MemoryMarshal.GetReference(directions));
            }
            else
            {
                for (int w = 0; w < l; w++)
                {
                    ref T c = ref MemoryMarshal.GetReference(weights.Slice(w * n + k0, nt));
                    ref T to = ref Unsafe.Add(ref br, (nint)(m + w) * vl);
                    for (int s = 0; s < steps; s++) StepWeights(ref c, s, nt).StoreUnsafe(ref Unsafe.Add(ref to, (nint)s * stepLength));
                }
            }
            if (_singleSteps is null)
            {
                SampleLaneTensor.Run<T>(buffer, m, _laneStepVectors, steps, _laneTiles, _sums);
                continue;
            }
            Span<float> single = _singleSteps.Span;
            LaneTranspose.NarrowPairs(MemoryMarshal.Cast<T, double>(buffer), stepLength, steps, m + l, single);
            SampleLaneTensor.Run<float>(single, m, _laneStepVectors, (steps + 1) / 2, _laneTiles, _sums);
        }
        return true;
    }

    /// <summary>
    /// Each step's weights fma(y, d_l, y), d_l the chain of FMAs of the step's z_i vectors with g_il over i = 0 .. m - 1 (the
    /// operands of <see cref="Projection.Project{T}"/>'s chains, so the same bits as <see cref="ContractionWeights"/>); y is zero past
    /// the tile's samples, and so are their weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StepContractions(ref T steps, int stepLength, int count, ref T y, int samples, ref T g)
    {
        int m = _m, l = _l, s = 0;
        nuint vl = (nuint)Vector512<T>.Count;
        // four steps at a time, four chains in flight: one step at a time waited on its chain (m FMA latencies), 3.3 against 1.3 ns
        // a sample at m = 16 and three weights, one thread in cache
        for (; s + 4 <= count; s += 4)
        {
            ref T s0 = ref Unsafe.Add(ref steps, (nint)s * stepLength);
            ref T s1 = ref Unsafe.Add(ref s0, stepLength);
            ref T s2 = ref Unsafe.Add(ref s1, stepLength);
            ref T s3 = ref Unsafe.Add(ref s2, stepLength);
            Vector512<T> y0 = StepWeights(ref y, s, samples), y1 = StepWeights(ref y, s + 1, samples);
            Vector512<T> y2 = StepWeights(ref y, s + 2, samples), y3 = StepWeights(ref y, s + 3, samples);
            for (int w = 0; w < l; w++)
            {
                Vector512<T> d0 = Vector512<T>.Zero, d1 = d0, d2 = d0, d3 = d0;
                for (int i = 0; i < m; i++)
                {
                    Vector512<T> gi = Vector512.Create(Unsafe.Add(ref g, i * l + w));
                    nuint at = (nuint)i * vl;
                    d0 = Simd.Fma(Vector512.LoadUnsafe(ref s0, at), gi, d0);
                    d1 = Simd.Fma(Vector512.LoadUnsafe(ref s1, at), gi, d1);
                    d2 = Simd.Fma(Vector512.LoadUnsafe(ref s2, at), gi, d2);
                    d3 = Simd.Fma(Vector512.LoadUnsafe(ref s3, at), gi, d3);
                }
                nuint to = (nuint)(m + w) * vl;
                Simd.Fma(y0, d0, y0).StoreUnsafe(ref s0, to);
                Simd.Fma(y1, d1, y1).StoreUnsafe(ref s1, to);
                Simd.Fma(y2, d2, y2).StoreUnsafe(ref s2, to);
                Simd.Fma(y3, d3, y3).StoreUnsafe(ref s3, to);
            }
        }
        for (; s < count; s++)
        {
            ref T step = ref Unsafe.Add(ref steps, (nint)s * stepLength);
            Vector512<T> yv = StepWeights(ref y, s, samples);
            for (int w = 0; w < l; w++)
            {
                Vector512<T> dot = Vector512<T>.Zero;
                for (int i = 0; i < m; i++)
                    dot = Simd.Fma(Vector512.LoadUnsafe(ref step, (nuint)i * vl), Vector512.Create(Unsafe.Add(ref g, i * l + w)), dot);
                Simd.Fma(yv, dot, yv).StoreUnsafe(ref step, (nuint)(m + w) * vl);
            }
        }
    }

    /// <summary>Whether this thread's accumulations take the sample lanes (small m on 512-bit vectors).</summary>
    internal bool UsesSampleLanes => _laneTiles is not null && SampleLaneTensor.Supported;

    /// <summary>Whether the products are float32 on float64 sums (single-precision products, on the lanes or by the float32 twin).</summary>
    internal bool UsesSingleProducts => _singleProducts;

    /// <summary>Multiply-adds per sample on the sample lanes' plan (each register tile's entries); 0 without it.</summary>
    internal long LaneMultiplyAdds => _laneTiles?.Sum(t => (long)t.Rows * t.Width) ?? 0;

    /// <summary>Multiplies per sample that the sample lanes' register tiles spend on their operands (1 + rows each); 0 without them.</summary>
    internal long LaneMultiplies => _laneTiles?.Sum(t => 1L + t.Rows) ?? 0;

    /// <summary>Step s's vector of one weight's samples (contiguous from c), zeros past <paramref name="samples"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> StepWeights(ref T c, int s, int samples)
    {
        int vl = Vector512<T>.Count, valid = Math.Min(vl, samples - s * vl);
        return valid == vl ? Vector512.LoadUnsafe(ref c, (nuint)(s * vl)) : Partial(ref Unsafe.Add(ref c, s * vl), valid);
    }

    /// <summary>The first <paramref name="count"/> entries from <paramref name="source"/>, zeros after.</summary>
    private static Vector512<T> Partial(ref T source, int count)
    {
        Vector512<T> v = Vector512<T>.Zero;
        for (int i = 0; i < count; i++) v = v.WithElement(i, Unsafe.Add(ref source, i));
        return v;
    }

    /// <summary>
    /// The column groups and the rows each panel needs. The pairs start right after the constant or at the next whole vector,
    /// whichever costs fewer lanes: a panel needs the rows of its last column's group, and where the groups fall in the panels
    /// decides how many (at m = 16, four weights, float64: 572 vector multiply-adds after the constant, 516 from the next vector).
    /// </summary>
    private static (int[] GroupStart, int[] RowEnds) Layout(int dimension, int weightCount, int shift)
    {
        MomentState.RequireFloatingType<T>();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, MaxDimension); // the m^3/6 sums must fit in memory
        int unit = PrefixGemm.PanelWidth<T>();
        int[] firsts = shift == 1 ? [dimension + 1, Simd.RoundUp(dimension + 1, unit)] : [0];
        return firsts.Select(first => GroupStarts(dimension, first))
            .Select(starts => (starts, RowEnds(dimension, weightCount, shift, unit, starts))).MinBy(layout => layout.Item2.Sum());
    }

    /// <summary>Start of column group j (z_j z_j .. z_j z_(m-1)) for the groups from column <paramref name="first"/>; entry m ends them.</summary>
    private static int[] GroupStarts(int m, int first)
    {
        var start = new int[m + 1];
        start[0] = first;
        for (int j = 0; j < m; j++) start[j + 1] = start[j] + m - j;
        return start;
    }

    /// <summary>
    /// Rows each column panel needs: those of its last column's group j (the columns before the pairs: the weights' only), i.e.
    /// the weights (<paramref name="shift"/> = 1) and c_l z_i for i &lt;= j, rounded up to the kernel's multiple of 4.
    /// </summary>
    private static int[] RowEnds(int m, int weightCount, int shift, int unit, int[] groupStart)
    {
        int columns = groupStart[m];
        var ends = new int[(columns + unit - 1) / unit];
        for (int v = 0, j = -1; v < ends.Length; v++)
        {
            int last = Math.Min((v + 1) * unit, columns) - 1;
            while (j < m - 1 && groupStart[j + 1] <= last) j++;
            ends[v] = Simd.RoundUp(weightCount * (j + 1 + shift), 4);
        }
        return ends;
    }

    /// <summary>Largest supported m (the unique third moments alone take m^3/6 doubles per weight).</summary>
    public const int MaxDimension = 256;

    /// <summary>Projected dimension m.</summary>
    public int Dimension => _m;

    /// <summary>Length of the flat state: 1 + L (1 + m + m(m+1)/2 + m(m+1)(m+2)/6), or 1 + L m(m+1)(m+2)/6 without the lower degrees.</summary>
    public int StateLength => (int)StateLengthOf(_m, _l, HasLowerDegrees);

    private static long StateLengthOf(int m, int l, bool lowerDegrees) =>
        1 + l * ((lowerDegrees ? 1L + m + PairFeatures.Count(m) : 0) + UniqueThird(m));

    private static int UniqueThird(int m) => m * (m + 1) * (m + 2) / 6;

    /// <summary>
    /// Row k of <paramref name="rows"/>: c_0 .. c_(L-1) (with the lower degrees), then for each i the segment c_0 z_i .. c_(L-1) z_i.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void BuildRows(Span<T> copy, ReadOnlySpan<T> weights, int n, int k0, int samples, Span<T> rows)
    {
        int m = _m, l = _l, width = Simd.WidthBits;
        // the weights sample by sample (zero-padded to whole vectors), read by the segments below: reading them back from the row
        // itself, just after writing it, stalled every segment on store forwarding
        _w ??= new AlignedBuffer<T>(_tile * _wStride);
        Span<T> byWeight = _w.Span;
        for (int w = 0; w < l; w++)
        {
            ReadOnlySpan<T> c = weights.Slice(w * n + k0, samples);
            for (int k = 0; k < samples; k++) byWeight[k * _wStride + w] = c[k];
        }
        ref T zr = ref MemoryMarshal.GetReference(copy);
        ref T cr = ref MemoryMarshal.GetReference(byWeight);
        ref T ar = ref MemoryMarshal.GetReference(rows);
        if (_rowProducts is not null && width >= 512)
        {
            int vl = Vector512<T>.Count;
            for (int k = 0; k < samples; k++)
            {
                ref T zk = ref Unsafe.Add(ref zr, (nint)k * _xStride);
                var c = Vector512.LoadUnsafe(ref Unsafe.Add(ref cr, (nint)k * _wStride));
                _rowProducts.Write(c, c, Vector512.LoadUnsafe(ref zk), Vector512.LoadUnsafe(ref zk, (nuint)vl),
                    ref Unsafe.Add(ref ar, (nint)k * _aStride));
            }
            return;
        }
        for (int k = 0; k < samples; k++)
        {
            ref T zk = ref Unsafe.Add(ref zr, (nint)k * _xStride);
            ref T ck = ref Unsafe.Add(ref cr, (nint)k * _wStride);
            ref T ak = ref Unsafe.Add(ref ar, (nint)k * _aStride);
            if (l == 1)
            {
                // one weight: the row is c [1, z] (c z without the lower degrees)
                if (_shift == 1) ak = ck;
                Simd.ScaleInto(width, ref zk, m, ck, ref Unsafe.Add(ref ak, _shift));
                continue;
            }
            // whole vectors run into the next segment (written after) or the padding after the last
            if (_shift == 1) Simd.ScaleInto(width, ref ck, l, T.One, ref ak);
            for (int i = 0; i < m; i++)
                Simd.ScaleInto(width, ref ck, l, Unsafe.Add(ref zk, i), ref Unsafe.Add(ref ak, l * (i + _shift)));
        }
    }

    /// <summary>
    /// Row k of <paramref name="columns"/>: z_0 .. z_(m-1), 1 (with the lower degrees), then for each group j the pairs z_j z_j ..
    /// z_j z_(m-1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void BuildColumns(Span<T> copy, int samples, Span<T> columns)
    {
        int m = _m, width = Simd.WidthBits;
        ref T zr = ref MemoryMarshal.GetReference(copy);
        ref T br = ref MemoryMarshal.GetReference(columns);
        if (_columnProducts is not null && width >= 512)
        {
            int vl = Vector512<T>.Count;
            for (int k = 0; k < samples; k++)
            {
                ref T zk = ref Unsafe.Add(ref zr, (nint)k * _xStride);
                Vector512<T> low = Vector512.LoadUnsafe(ref zk), high = Vector512.LoadUnsafe(ref zk, (nuint)vl);
                _columnProducts.Write(low, high, low, high, ref Unsafe.Add(ref br, (nint)k * _bStride));
            }
            return;
        }
        for (int k = 0; k < samples; k++)
        {
            ref T zk = ref Unsafe.Add(ref zr, (nint)k * _xStride);
            ref T bk = ref Unsafe.Add(ref br, (nint)k * _bStride);
            if (_shift == 1)
            {
                Simd.ScaleInto(width, ref zk, m, T.One, ref bk); // whole vectors: the padding's zeros run into the constant, written next
                Unsafe.Add(ref bk, _constant) = T.One;
            }
            for (int j = 0; j < m; j++)
                Simd.ScaleInto(width, ref Unsafe.Add(ref zk, j), m - j, Unsafe.Add(ref zk, j), ref Unsafe.Add(ref bk, _groupStart[j]));
        }
    }

    /// <summary>Weight l's row against a column: sums of degree 0 to 2 (with the lower degrees only).</summary>
    private ref double Sum(int l, int column) => ref _sums[SumIndex(l, column)];

    /// <summary>Index of <see cref="Sum"/>'s sum.</summary>
    private int SumIndex(int l, int column) => l * _cStride + column;

    /// <summary>The column of the pair z_a z_b, a &lt;= b: group a's entry b.</summary>
    private int PairColumn(int a, int b) => _groupStart[a] + b - a;

    /// <summary>The sum of weight q for the unique entry a &lt;= b &lt;= c of the 3-tensor: row (a, q) against column z_b z_c.</summary>
    private ref double Third(int q, int a, int b, int c) => ref _sums[ThirdIndex(q, a, b, c)];

    /// <summary>Index of <see cref="Third"/>'s sum.</summary>
    private int ThirdIndex(int q, int a, int b, int c) => (_l * (a + _shift) + q) * _cStride + PairColumn(b, c);

    /// <summary>Index of weight q's sum of z_a z_b (a &lt;= b &lt; m), z_a (b = m) or 1 (a = b = m): row q, as <see cref="Sum"/>.</summary>
    private int LowerIndex(int q, int a, int b) => SumIndex(q, a == _m ? _constant : b == _m ? a : PairColumn(a, b));

    /// <summary>Throws unless the sums of degree 0 to 2 are kept.</summary>
    private void RequireLowerDegrees()
    {
        if (!HasLowerDegrees) throw new InvalidOperationException("This accumulator keeps the 3-tensors only (no sums of degree 0 to 2).");
    }

    /// <summary>sum c_q z_a z_b for a &lt;= b.</summary>
    private ref double Second(int q, int a, int b) => ref Sum(q, PairColumn(a, b));

    /// <summary>sum_j c_lj.</summary>
    public double WeightSum(int l) { CheckWeight(l); RequireLowerDegrees(); return Sum(l, _constant); }

    /// <summary>Copies sum_j c_lj z_j (m raw sums) into <paramref name="destination"/>.</summary>
    public void CopyFirstMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        RequireLowerDegrees();
        RequireLength(destination, Dimension);
        _sums.AsSpan(l * _cStride, Dimension).CopyTo(destination);
    }

    /// <summary>Copies sum_j c_lj z_j z_j^T (m x m row-major, full symmetric) into <paramref name="destination"/>.</summary>
    public void CopySecondMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        RequireLowerDegrees();
        int m = Dimension;
        RequireLength(destination, m * m);
        for (int j = 0; j < m; j++)
            for (int i = 0; i <= j; i++)
                destination[i * m + j] = destination[j * m + i] = Second(l, i, j);
    }

    /// <summary>Copies sum_j c_lj z_j (x) z_j (x) z_j (m^3, full symmetric, entry (i, j, k) at (i m + j) m + k).</summary>
    public void CopyThirdMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        int m = Dimension;
        RequireLength(destination, m * m * m);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++)
                {
                    // sort (i, j, k) into a <= b <= c, the unique entry
                    int a = i, b = j, c = k;
                    if (a > b) (a, b) = (b, a);
                    if (b > c) (b, c) = (c, b);
                    if (a > b) (a, b) = (b, a);
                    destination[(i * m + j) * m + k] = Third(l, a, b, c);
                }
    }

    /// <summary>Adds the sums of <paramref name="other"/> (same m, L and degrees) to this one.</summary>
    public void Merge(ProjectedTensorAccumulator<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.HasLowerDegrees != HasLowerDegrees)
            throw new ArgumentException("Cannot merge accumulators that keep different degrees.", nameof(other));
        MergeSums(other);
    }

    /// <summary>
    /// Adds the sums of <paramref name="other"/>'s weights <paramref name="firstWeight"/> .. <paramref name="firstWeight"/> + L - 1
    /// (same m) to this one's L weights, and its count: the degrees this one keeps (<paramref name="other"/> must keep them too).
    /// </summary>
    /// <exception cref="ArgumentException">m differs, <paramref name="other"/> has no such weights or lacks the lower degrees.</exception>
    internal void AddWeights(ProjectedTensorAccumulator<T> other, int firstWeight)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension || firstWeight < 0 || firstWeight + WeightCount > other.WeightCount
            || (HasLowerDegrees && !other.HasLowerDegrees))
            throw new ArgumentException($"Weights {firstWeight} .. {firstWeight + WeightCount - 1} of an (m={other.Dimension}, " +
                $"L={other.WeightCount}{(other.HasLowerDegrees ? "" : ", 3-tensors only")}) accumulator do not fit an (m={Dimension}, " +
                $"L={WeightCount}{(HasLowerDegrees ? "" : ", 3-tensors only")}) one.", nameof(other));
        // the flat state is the count, then one block per weight, its 3-tensor last (CopyState)
        var state = new double[other.StateLength];
        other.CopyState(state);
        var mine = new double[StateLength];
        int block = (state.Length - 1) / other.WeightCount, mineBlock = (mine.Length - 1) / WeightCount;
        mine[0] = state[0];
        for (int q = 0; q < WeightCount; q++)
            state.AsSpan(1 + (firstWeight + q) * block + block - mineBlock, mineBlock).CopyTo(mine.AsSpan(1 + q * mineBlock));
        AddState(mine);
    }

    /// <summary>
    /// Copies all sums into <see cref="StateLength"/> doubles: [count, then for each l: sum c, sum c z (m),
    /// sum c z_i z_j for j = 0..m-1, i = 0..j (these three with the lower degrees only), then sum c z_i z_j z_k for j = 0..m-1,
    /// i = 0..j, k = j..m-1].
    /// </summary>
    public void CopyState(Span<double> destination)
    {
        MomentState.RequireStateLength(destination.Length, StateLength);
        int m = Dimension, p = 0;
        destination[p++] = Count;
        for (int q = 0; q < WeightCount; q++)
        {
            if (HasLowerDegrees)
            {
                destination[p++] = Sum(q, _constant);
                _sums.AsSpan(q * _cStride, m).CopyTo(destination.Slice(p, m)); p += m;
                for (int j = 0; j < m; j++)
                    for (int i = 0; i <= j; i++) destination[p++] = Second(q, i, j);
            }
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++)
                    for (int k = j; k < m; k++) destination[p++] = Third(q, i, j, k);
        }
    }

    /// <summary>Adds a flat state (the layout of <see cref="CopyState"/>) to this accumulator.</summary>
    public void AddState(ReadOnlySpan<double> state)
    {
        MomentState.RequireStateLength(state.Length, StateLength);
        int m = Dimension, p = 0;
        long count = MomentState.CountFrom(state[p++]);
        for (int q = 0; q < WeightCount; q++)
        {
            if (HasLowerDegrees)
            {
                Sum(q, _constant) += state[p++];
                for (int i = 0; i < m; i++) Sum(q, i) += state[p++];
                for (int j = 0; j < m; j++)
                    for (int i = 0; i <= j; i++) Second(q, i, j) += state[p++];
            }
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++)
                    for (int k = j; k < m; k++) Third(q, i, j, k) += state[p++];
        }
        Count += count;
    }

    /// <summary>Writes the accumulator (shape and every sum, bit-exact) to a stream; the shape is [m, L], or [m, L, 3] (the lowest
    /// degree kept) without the lower degrees.</summary>
    public void WriteTo(Stream s)
    {
        double[] state = new double[StateLength];
        CopyState(state);
        int[] shape = HasLowerDegrees ? [Dimension, WeightCount] : [Dimension, WeightCount, 3];
        MomentState.Write(s, MomentState.KindProjectedTensor, MomentState.ElementSize<T>(), shape, [], state);
    }

    /// <summary>Reads an accumulator written by <see cref="WriteTo"/> for the same T.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a projected tensor accumulator over T.</exception>
    public static ProjectedTensorAccumulator<T> ReadFrom(Stream s)
    {
        var (shape, _, state) = MomentState.Read(s, MomentState.KindProjectedTensor, MomentState.ElementSize<T>(), typeof(T).Name);
        if (shape.Length is not (2 or 3) || shape[0] <= 0 || shape[0] > MaxDimension || shape[1] <= 0 || (shape.Length == 3 && shape[2] != 3))
            throw new InvalidDataException("Corrupt projected tensor accumulator header.");
        bool lower = shape.Length == 2;
        if (state.Length != StateLengthOf(shape[0], shape[1], lower))
            throw new InvalidDataException("Corrupt projected tensor accumulator: the state length does not match the shape.");
        var result = new ProjectedTensorAccumulator<T>(shape[0], shape[1], lower);
        result.AddState(state);
        return result;
    }

    private static void RequireLength(Span<double> destination, int length)
    {
        if (destination.Length < length) throw new ArgumentException($"The destination needs {length} entries.", nameof(destination));
    }
}
