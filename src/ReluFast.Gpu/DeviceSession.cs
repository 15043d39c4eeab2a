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
    private int _next;
    private long _count;
    private bool _disposed;

    /// <param name="device">The device.</param>
    /// <param name="dimension">Columns of the inputs.</param>
    /// <param name="weightCount">Weight vectors L.</param>
    /// <param name="outputs">Sums of the state (after its count).</param>
    /// <param name="deviceOutputs">Sums the kernels keep on the device (<see cref="Gather"/> maps them to the state's).</param>
    /// <param name="segments">Sample segments of a full launch.</param>
    protected DeviceSession(GpuMomentDevice device, int dimension, int weightCount, int outputs, int deviceOutputs, Func<int, int> segments)
    {
        Device = device;
        Dimension = dimension;
        WeightCount = weightCount;
        Outputs = outputs;
        DeviceOutputs = deviceOutputs;
        device.Accelerator.Bind(); // a CUDA context is current per thread: every entry point binds it
        // rows per launch from host memory: about 2 MiB of inputs per slot (a pass's block), at least 1024 samples
        Capacity = Math.Clamp((1 << 18) / Math.Max(dimension, weightCount), 1024, 1 << 18);
        int most = segments(Capacity);
        _slots = [new Slot(device.Accelerator, Capacity, dimension, weightCount, deviceOutputs, most),
            new Slot(device.Accelerator, Capacity, dimension, weightCount, deviceOutputs, most)];
        _download = new double[deviceOutputs];
    }

    /// <summary>A session whose kernels write the state's sums themselves, <paramref name="outputs"/> of them.</summary>
    protected DeviceSession(GpuMomentDevice device, int dimension, int weightCount, int outputs)
        : this(device, dimension, weightCount, outputs, outputs, capacity => device.Segments(outputs, capacity))
    {
    }

    private readonly double[] _download;

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
        int segments = Math.Min(slot.Segments, Math.Max(1, n / SamplesPerSegment));
        lock (Device.LaunchLock)
        {
            LaunchSums(slot.Stream, x, w, weightStride, slot.Partial.View, n, segments);
            Device.Reduce(slot.Stream, DeviceOutputs, slot.Partial.View, slot.Sums.View, DeviceOutputs, segments);
        }
    }

    /// <summary>Fewest samples a launch gives one segment.</summary>
    protected virtual int SamplesPerSegment => 16;

    /// <summary>The state's sums from the device's (both slots added); by default they are the same.</summary>
    protected virtual void Gather(ReadOnlySpan<double> deviceSums, Span<double> state) => deviceSums.CopyTo(state);

    /// <summary>Writes the block's per-segment sums, partial[s DeviceOutputs + o]; weight row q starts at q weightStride.</summary>
    protected abstract void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments);

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
            Partial = accelerator.Allocate1D<double>((long)outputs * segments);
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

/// <summary>Weighted Gram and projected tensor sums: one monomial per output (<see cref="MonomialTerms"/>).</summary>
internal sealed class MonomialSession<T> : DeviceSession<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _terms;
    private readonly int _entries;

    public MonomialSession(GpuMomentDevice device, int dimension, int weightCount, int[] terms)
        : base(device, dimension, weightCount, terms.Length / 3 * weightCount)
    {
        _entries = terms.Length / 3;
        _terms = device.Accelerator.Allocate1D(terms);
    }

    protected override void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments) =>
        Device.Monomials(stream, Outputs * segments, x, w, _terms.View, partial,
            new MonomialShape(Dimension, n, _entries, WeightCount, segments, weightStride));

    protected override void DisposeDeviceData() => _terms.Dispose();
}

/// <summary>
/// Projected tensor sums as a product of matrices (<see cref="GpuKernels.PairProducts"/>): with z' = (z, 1), every
/// monomial of degree at most 3 of the state is z'_a z'_b z'_c with a &lt;= b &lt;= c, so the device keeps
/// C[(q, a, b), c] = sum over samples of (w_q z'_a z'_b) z'_c for all pairs a &lt;= b and all c (about three times the
/// state's sums, in tiles of shared memory) and <see cref="Gather"/> picks the state's. The monomial kernel read four
/// values from memory per multiply-add and ran pass 2 at 1.6 % of the H200's FP64 peak.
/// </summary>
internal sealed class PairProductSession<T> : DeviceSession<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _rows;
    private readonly int[] _gather;
    private readonly int _rowCount, _rowTiles, _columnTiles;

    private PairProductSession(GpuMomentDevice device, int m, int weightCount, int[] terms, int rowCount)
        : base(device, m, weightCount, terms.Length / 3 * weightCount, rowCount * (m + 1),
            capacity => device.PairSegments(Tiles(rowCount, GpuKernels.PairRows) * Tiles(m + 1, GpuKernels.PairColumns), capacity))
    {
        int columns = m + 1, pairs = columns * (columns + 1) / 2, entries = terms.Length / 3;
        _rowCount = rowCount;
        _rowTiles = Tiles(rowCount, GpuKernels.PairRows);
        _columnTiles = Tiles(columns, GpuKernels.PairColumns);
        // row (q, a, b) at q P + index of (a, b) among the pairs a <= b of z' in row-major order; index m is z'_m = 1
        var rows = new int[3 * rowCount];
        for (int q = 0, r = 0; q < weightCount; q++)
            for (int a = 0; a < columns; a++)
                for (int b = a; b < columns; b++, r++) (rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]) = (q, a, b);
        _rows = device.Accelerator.Allocate1D(rows);
        _gather = new int[entries * weightCount];
        Span<int> f = stackalloc int[3];
        for (int q = 0; q < weightCount; q++)
            for (int e = 0; e < entries; e++)
            {
                for (int t = 0; t < 3; t++) f[t] = terms[3 * e + t] < 0 ? m : terms[3 * e + t];
                f.Sort();
                int pair = f[0] * (2 * columns - f[0] + 1) / 2 + (f[1] - f[0]);
                _gather[q * entries + e] = (q * pairs + pair) * columns + f[2];
            }
    }

    /// <summary>The projected tensor of dimension m with L weights, or null where the tiles do not hold it.</summary>
    public static PairProductSession<T>? TryCreate(GpuMomentDevice device, int m, int weightCount)
    {
        if (m + 1 > GpuKernels.PairWidth || weightCount > GpuKernels.PairMaxWeights) return null;
        int columns = m + 1;
        return new PairProductSession<T>(device, m, weightCount, MonomialTerms.Tensor(m), weightCount * columns * (columns + 1) / 2);
    }

    private static int Tiles(int count, int tile) => (count + tile - 1) / tile;

    protected override int SamplesPerSegment => GpuKernels.PairDepth * 4;

    protected override void Gather(ReadOnlySpan<double> deviceSums, Span<double> state)
    {
        for (int o = 0; o < _gather.Length; o++) state[o] = deviceSums[_gather[o]];
    }

    protected override void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments) =>
        Device.Pairs(stream, new KernelConfig(_rowTiles * _columnTiles * segments, Device.PairGroup), x, w, _rows.View, partial,
            new PairShape(Dimension, n, _rowCount, _rowTiles, _columnTiles, segments, WeightCount, weightStride));

    protected override void DisposeDeviceData() => _rows.Dispose();
}

/// <summary>Hermite projections: (K + 1) x m sums of r He_k(&lt;v_i, x&gt;).</summary>
internal sealed class HermiteSession<T> : DeviceSession<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _directions;
    private readonly int _hidden, _maxOrder;

    public HermiteSession(GpuMomentDevice device, int dimension, ReadOnlySpan<double> directions, int hidden, int maxOrder)
        : base(device, dimension, 1, (maxOrder + 1) * hidden)
    {
        _hidden = hidden;
        _maxOrder = maxOrder;
        _directions = device.Accelerator.Allocate1D(directions.ToArray());
    }

    // one weight vector: its stride is never used
    protected override void LaunchSums(AcceleratorStream stream, ArrayView<double> x, ArrayView<double> w, int weightStride,
        ArrayView<double> partial, int n, int segments) =>
        Device.Hermite(stream, _hidden * segments, x, w, _directions.View, partial, new HermiteShape(Dimension, n, _hidden, _maxOrder, segments));

    protected override void DisposeDeviceData() => _directions.Dispose();
}
