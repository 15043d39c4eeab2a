using System.Numerics;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ReluFast.Moments;

namespace ReluFast.Gpu;

/// <summary>
/// One thread's stream of samples into device sums, double-buffered: two slots, each with page-locked host buffers,
/// device buffers, its own accelerator stream and its own running sums. The samples of successive
/// <see cref="Accumulate"/> calls are staged into the current slot's page-locked memory until it holds
/// <see cref="Capacity"/> of them (about 2 MiB); then the slot is copied and summed on its stream and the other slot
/// fills meanwhile (the copy of one slot overlaps the kernels of the other). A pass hands over blocks of about 256 KiB,
/// and a launch per block left the H200 waiting on launches (docs/gpu-check-h200.json: pass 1 of the learner 2.5x slower
/// than the CPU). A slot's page-locked buffers are refilled only after its stream has finished. Launch k holds the
/// session's samples [k C, (k + 1) C), each slot's sums add its launches in order and <see cref="Flush"/> adds slot 0
/// then slot 1: the result depends only on the sequence of samples, not on how it was cut into calls.
/// </summary>
internal abstract class DeviceSession<T> : IDeviceMoments<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Slot[] _slots;
    private readonly double[] _download; // both slots' device sums, added, before the state's are picked out
    private int _next;
    private long _count;
    private bool _disposed;

    /// <param name="device">The device.</param>
    /// <param name="dimension">Columns of the inputs.</param>
    /// <param name="weightCount">Weight vectors L.</param>
    /// <param name="outputs">Sums of the state (after its count).</param>
    /// <param name="deviceOutputs">Sums the kernels keep on the device (<see cref="Gather"/> maps them to the state's).</param>
    /// <param name="tiles">Tiles of a launch (<see cref="GpuMomentDevice.TileSegments"/> splits the samples for them).</param>
    protected DeviceSession(GpuMomentDevice device, int dimension, int weightCount, int outputs, int deviceOutputs, int tiles)
    {
        Device = device;
        Dimension = dimension;
        WeightCount = weightCount;
        Outputs = outputs;
        DeviceOutputs = deviceOutputs;
        device.Accelerator.Bind(); // a CUDA context is current per thread: every entry point binds it
        // rows per launch from host memory: about 2 MiB of inputs per slot (a pass's block), at least 1024 samples
        Capacity = Math.Clamp((1 << 18) / Math.Max(dimension, weightCount), 1024, 1 << 18);
        int most = device.TileSegments(tiles, Capacity);
        _slots = [new Slot(device.Accelerator, Capacity, dimension, weightCount, deviceOutputs, most),
            new Slot(device.Accelerator, Capacity, dimension, weightCount, deviceOutputs, most)];
        _download = new double[deviceOutputs];
    }

    /// <summary>Sums kept on the device per slot.</summary>
    protected int DeviceOutputs { get; }

    protected GpuMomentDevice Device { get; }

    /// <summary>Columns of the inputs.</summary>
    public int Dimension { get; }

    /// <summary>Weight vectors L (stored L x n).</summary>
    public int WeightCount { get; }

    /// <summary>Sums per block (the state without its count).</summary>
    public int Outputs { get; }

    /// <summary>Samples per launch; larger blocks are split.</summary>
    public int Capacity { get; }

    /// <inheritdoc />
    public int StateLength => 1 + Outputs;

    /// <inheritdoc />
    public void Accumulate(ReadOnlySpan<T> inputs, ReadOnlySpan<T> weights)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Device.Accelerator.Bind();
        int l = WeightCount, d = Dimension;
        int n = weights.Length / l;
        if (n * l != weights.Length)
            throw new ArgumentException($"weights has {weights.Length} entries, not a multiple of L = {l}.", nameof(weights));
        if ((long)n * d != inputs.Length)
            throw new ArgumentException($"inputs has {inputs.Length} entries but {n} samples of dimension {d} need {(long)n * d}.", nameof(inputs));
        for (int k0 = 0; k0 < n;)
        {
            Slot slot = _slots[_next];
            if (slot.Filled == 0) slot.Stream.Synchronize(); // its page-locked buffers are free again
            int nc = Math.Min(Capacity - slot.Filled, n - k0);
            Stage(inputs.Slice(k0 * d, nc * d), slot.HostInputs.Span.Slice(slot.Filled * d, nc * d));
            // weights stay L x Capacity in the slot (row q at q Capacity): the kernel reads them with that stride
            for (int q = 0; q < l; q++) Stage(weights.Slice(q * n + k0, nc), slot.HostWeights.Span.Slice(q * Capacity + slot.Filled, nc));
            slot.Filled += nc;
            k0 += nc;
            if (slot.Filled == Capacity) Submit();
        }
    }

    /// <summary>Copies the current slot's staged samples to the device, launches their sums and moves to the other slot.</summary>
    private void Submit()
    {
        Slot slot = _slots[_next];
        int n = slot.Filled, d = Dimension, l = WeightCount;
        if (n == 0) return;
        long weights = (long)(l - 1) * Capacity + n; // rows 0..L-2 whole, the last row's n
        slot.Inputs.View.SubView(0, (long)n * d).CopyFrom(slot.Stream, slot.HostInputs.ArrayView.SubView(0, (long)n * d));
        slot.Weights.View.SubView(0, weights).CopyFrom(slot.Stream, slot.HostWeights.ArrayView.SubView(0, weights));
        Launch(slot, slot.Inputs.View, slot.Weights.View, n, Capacity);
        _count += n;
        slot.Filled = 0;
        _next ^= 1;
    }

    /// <summary>Adds n samples already on the device (x: n x d, w: L x n) on slot 0's stream in one launch: no transfer.</summary>
    internal void AccumulateOnDevice(ArrayView<double> x, ArrayView<double> w, int n)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Device.Accelerator.Bind();
        if (x.Length < (long)n * Dimension || w.Length < (long)n * WeightCount)
            throw new ArgumentException("The device block is shorter than n samples.");
        if (_slots[0].Filled + _slots[1].Filled > 0) throw new InvalidOperationException("Host samples are staged: flush them first.");
        Launch(_slots[0], x, w, n, n);
        _count += n;
    }

    /// <summary>The stream that <see cref="AccumulateOnDevice"/> launches on.</summary>
    internal AcceleratorStream DeviceStream => _slots[0].Stream;

    /// <inheritdoc />
    public void Flush(Span<double> state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Device.Accelerator.Bind();
        if (state.Length != StateLength)
            throw new ArgumentException($"The state has {state.Length} entries; this session's StateLength is {StateLength}.", nameof(state));
        Submit();
        state[0] = _count;
        Array.Clear(_download);
        foreach (Slot slot in _slots)
        {
            slot.Stream.Synchronize();
            slot.Sums.View.CopyToCPU(slot.Stream, slot.Download);
            slot.Stream.Synchronize();
            for (int o = 0; o < DeviceOutputs; o++) _download[o] += slot.Download[o];
            slot.Sums.MemSetToZero(slot.Stream);
        }
        Gather(_download, state[1..]);
        _count = 0;
    }

    /// <summary>
    /// Launches the kernels that add n samples (x: n x d; w: L rows of n, row q at q <paramref name="weightStride"/>; both
    /// on the device) to the slot's sums.
    /// </summary>
    private void Launch(Slot slot, ArrayView<double> x, ArrayView<double> w, int n, int weightStride)
    {
        if (n == 0) return;
        int segments = Math.Min(slot.Segments, Math.Max(1, n / GpuMomentDevice.SamplesPerSegment));
        lock (Device.LaunchLock)
        {
            if (segments == 1)
            {
                // one segment adds its sums to the slot's itself: no partial buffer (a tensor of m = 256 has 34 million)
                LaunchSums(slot.Stream, x, w, weightStride, slot.Sums.View, n, 1, accumulate: true);
                return;
            }
            LaunchSums(slot.Stream, x, w, weightStride, slot.Partial.View, n, segments, accumulate: false);
            Device.Reduce(slot.Stream, DeviceOutputs, slot.Partial.View, slot.Sums.View, DeviceOutputs, segments);
        }
    }

    /// <summary>The state's sums from the device's (both slots added); by default they are the same.</summary>
    protected virtual void Gather(ReadOnlySpan<double> deviceSums, Span<double> state) => deviceSums.CopyTo(state);

    /// <summary>
    /// Writes the block's per-segment sums to partial[s DeviceOutputs + o], or, with <paramref name="accumulate"/> (one
    /// segment), adds them to it; weight row q starts at q weightStride.
    /// </summary>
    protected abstract void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments, bool accumulate);

    private static void Stage(ReadOnlySpan<T> source, Span<double> destination)
    {
        if (typeof(T) == typeof(double)) MemoryMarshal.Cast<T, double>(source).CopyTo(destination);
        else System.Numerics.Tensors.TensorPrimitives.ConvertChecked<float, double>(MemoryMarshal.Cast<T, float>(source), destination);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Device.Accelerator.Bind();
        foreach (Slot slot in _slots) slot.Dispose();
        DisposeDeviceData();
    }

    protected virtual void DisposeDeviceData() { }

    private sealed class Slot : IDisposable
    {
        public Slot(Accelerator accelerator, int capacity, int d, int l, int outputs, int segments)
        {
            Segments = segments;
            Stream = accelerator.CreateStream();
            HostInputs = accelerator.AllocatePageLocked1D<double>((long)capacity * d);
            HostWeights = accelerator.AllocatePageLocked1D<double>((long)capacity * l);
            Inputs = accelerator.Allocate1D<double>((long)capacity * d);
            Weights = accelerator.Allocate1D<double>((long)capacity * l);
            Partial = accelerator.Allocate1D<double>(segments > 1 ? (long)outputs * segments : 1);
            Partial.MemSetToZero(Stream); // cells a launch does not write (skipped tiles) add zeros
            Sums = accelerator.Allocate1D<double>(outputs);
            Sums.MemSetToZero(Stream);
            Download = new double[outputs];
        }

        public int Segments { get; }

        /// <summary>Samples staged in the page-locked buffers and not yet submitted.</summary>
        public int Filled { get; set; }

        public AcceleratorStream Stream { get; }
        public PageLockedArray1D<double> HostInputs { get; }
        public PageLockedArray1D<double> HostWeights { get; }
        public MemoryBuffer1D<double, Stride1D.Dense> Inputs { get; }
        public MemoryBuffer1D<double, Stride1D.Dense> Weights { get; }
        public MemoryBuffer1D<double, Stride1D.Dense> Partial { get; }
        public MemoryBuffer1D<double, Stride1D.Dense> Sums { get; }
        public double[] Download { get; }

        public void Dispose()
        {
            Stream.Synchronize();
            Stream.Dispose();
            HostInputs.Dispose();
            HostWeights.Dispose();
            Inputs.Dispose();
            Weights.Dispose();
            Partial.Dispose();
            Sums.Dispose();
        }
    }
}

/// <summary>
/// Weighted Gram and projected tensor sums as a product of matrices (<see cref="GpuKernels.PairProducts"/>): with
/// x' = (x, 1), every monomial of degree at most 3 of a state (<see cref="MonomialTerms"/>) is x'_a x'_b x'_c, so the device
/// keeps C[(q, a, b), c] = sum over samples of (w_q x'_a x'_b) x'_c for a set of rows (q, a, b) and all c, in tiles of
/// shared memory, and <see cref="Gather"/> picks the state's sums. The Gram's rows are (q, a, 1): C is w_q x' x'^T. The
/// projected tensor's are the pairs a &lt;= b: about three times its sums. Tiles none of whose sums the state uses (below
/// the diagonal of a Gram) are skipped. One thread per sum, reading four values from memory per multiply-add, ran pass 2
/// at 1.6 % of the H200's FP64 peak (docs/gpu-check-h200-coalesced.json); this ran it 4x faster.
/// </summary>
internal sealed class PairProductSession<T> : DeviceSession<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _rows, _needed;
    private readonly Func<IEnumerable<(int I, int J, int K)>> _terms;
    private readonly Func<int, int, int, int> _row;
    private readonly int _rowCount, _rowTiles, _columnTiles;

    /// <param name="device">The device.</param>
    /// <param name="d">Columns of the inputs.</param>
    /// <param name="weightCount">Weight vectors L.</param>
    /// <param name="terms">The state's monomials for one weight (<see cref="MonomialTerms"/>), walked at every flush rather
    /// than stored (a tensor of m = 256 has 2.9 million).</param>
    /// <param name="entries">How many <paramref name="terms"/> yields.</param>
    /// <param name="rows">The rows (q, a, b), three entries each.</param>
    /// <param name="row">The row of (q, a, b), a &lt;= b, or -1 where there is none.</param>
    private PairProductSession(GpuMomentDevice device, int d, int weightCount, Func<IEnumerable<(int I, int J, int K)>> terms, int entries,
        int[] rows, Func<int, int, int, int> row)
        : base(device, d, weightCount, entries * weightCount, rows.Length / 3 * (d + 1),
            GpuMomentDevice.Tiles(rows.Length / 3, GpuKernels.PairRows) * GpuMomentDevice.Tiles(d + 1, GpuKernels.PairColumns))
    {
        _terms = terms;
        _row = row;
        _rowCount = rows.Length / 3;
        _rowTiles = GpuMomentDevice.Tiles(_rowCount, GpuKernels.PairRows);
        _columnTiles = GpuMomentDevice.Tiles(d + 1, GpuKernels.PairColumns);
        var needed = new int[_rowTiles * _columnTiles];
        foreach (int index in DeviceIndices())
        {
            int r = index / (d + 1), c = index - r * (d + 1);
            needed[r / GpuKernels.PairRows + c / GpuKernels.PairColumns * _rowTiles] = 1;
        }
        _rows = device.Accelerator.Allocate1D(rows);
        _needed = device.Accelerator.Allocate1D(needed);
    }

    /// <summary>Where each sum of the state is among the device's, in the state's order.</summary>
    private IEnumerable<int> DeviceIndices()
    {
        int d = Dimension, width = d + 1;
        for (int q = 0; q < WeightCount; q++)
            foreach (var (i, j, k) in _terms())
            {
                // x'_a x'_b x'_c with a <= b <= c, a missing factor being the constant x'_d = 1
                int a = i < 0 ? d : i, b = j < 0 ? d : j, c = k < 0 ? d : k;
                if (a > b) (a, b) = (b, a);
                if (b > c) (b, c) = (c, b);
                if (a > b) (a, b) = (b, a);
                int r = _row(q, a, b);
                if (r < 0) (r, c) = (_row(q, a, d), b); // the Gram: (a, b, 1) is row (q, a, 1), column b
                yield return r * width + c;
            }
    }

    /// <summary>The weighted Gram of dimension d with L weights: rows (q, a, 1), a = 0..d (index d is the constant 1).</summary>
    public static PairProductSession<T> Gram(GpuMomentDevice device, int d, int weightCount)
    {
        var rows = new int[3 * weightCount * (d + 1)];
        for (int q = 0, r = 0; q < weightCount; q++)
            for (int a = 0; a <= d; a++, r++) (rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]) = (q, a, d);
        return new PairProductSession<T>(device, d, weightCount, () => MonomialTerms.GramTerms(d), 1 + d + d * (d + 1) / 2, rows,
            (q, a, b) => b == d ? q * (d + 1) + a : -1);
    }

    /// <summary>The projected tensor of dimension m with L weights: rows (q, a, b) for the pairs a &lt;= b of z' in row-major order.</summary>
    public static PairProductSession<T> Tensor(GpuMomentDevice device, int m, int weightCount)
    {
        int width = m + 1, pairs = width * (width + 1) / 2;
        var rows = new int[3 * weightCount * pairs];
        for (int q = 0, r = 0; q < weightCount; q++)
            for (int a = 0; a < width; a++)
                for (int b = a; b < width; b++, r++) (rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]) = (q, a, b);
        int entries = 1 + m + m * (m + 1) / 2 + m * (m + 1) * (m + 2) / 6;
        return new PairProductSession<T>(device, m, weightCount, () => MonomialTerms.TensorTerms(m), entries, rows,
            (q, a, b) => q * pairs + a * (2 * width - a + 1) / 2 + (b - a));
    }

    protected override void Gather(ReadOnlySpan<double> deviceSums, Span<double> state)
    {
        int o = 0;
        foreach (int index in DeviceIndices()) state[o++] = deviceSums[index];
    }

    protected override void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments, bool accumulate) =>
        Device.Pairs(stream, new KernelConfig(_rowTiles * _columnTiles * segments, Device.TileGroup), x, w, _rows.View, _needed.View,
            partial, new PairShape(Dimension, n, _rowCount, _rowTiles, _columnTiles, segments, weightStride, accumulate ? 1 : 0));

    protected override void DisposeDeviceData()
    {
        _rows.Dispose();
        _needed.Dispose();
    }
}

/// <summary>Hermite projections: (K + 1) x m sums of r He_k(&lt;v_i, x&gt;) (<see cref="GpuKernels.HermiteTiles"/>).</summary>
internal sealed class HermiteSession<T> : DeviceSession<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _directions;
    private readonly int _hidden, _maxOrder, _tiles;

    public HermiteSession(GpuMomentDevice device, int dimension, ReadOnlySpan<double> directions, int hidden, int maxOrder)
        : base(device, dimension, 1, (maxOrder + 1) * hidden, (maxOrder + 1) * hidden,
            GpuMomentDevice.Tiles(hidden, GpuKernels.HermiteDirections))
    {
        _hidden = hidden;
        _maxOrder = maxOrder;
        _tiles = GpuMomentDevice.Tiles(hidden, GpuKernels.HermiteDirections);
        _directions = device.Accelerator.Allocate1D(directions.ToArray());
    }

    // one weight vector: its stride is never used
    protected override void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments, bool accumulate) =>
        Device.Hermite(stream, new KernelConfig(_tiles * segments, Device.TileGroup), x, w, _directions.View, partial,
            new HermiteShape(Dimension, n, _hidden, _maxOrder, segments, _tiles, accumulate ? 1 : 0));

    protected override void DisposeDeviceData() => _directions.Dispose();
}
