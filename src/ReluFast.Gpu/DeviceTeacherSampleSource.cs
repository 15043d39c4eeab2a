using ILGPU;
using ILGPU.Runtime;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Gpu;

/// <summary>
/// The samples of <see cref="TeacherSampleSource{T}"/> (double, same teacher, seed and noise) generated on the device by
/// <see cref="DeviceTeacherStream"/> and copied into the caller's buffers: a sample source for the learner whose x and y
/// cost the CPU nothing to make. Each reading thread has its own device buffers and stream, so the threads of a pass
/// generate concurrently. Values agree with the CPU source to rounding (1e-14 relative on x).
/// </summary>
internal sealed class DeviceTeacherSampleSource : ISampleSource<double>, IDisposable
{
    private readonly GpuMomentDevice _device;
    private readonly DeviceTeacherStream _stream;
    private readonly ThreadLocal<Buffers> _buffers;
    private bool _disposed;

    /// <param name="device">The device that generates the samples.</param>
    /// <param name="teacher">The network y = f(x) (+ noise).</param>
    /// <param name="count">Samples N.</param>
    /// <param name="seed">The stream's seed (as <see cref="TeacherSampleSource{T}"/>'s).</param>
    /// <param name="noiseStd">Standard deviation of the Gaussian label noise.</param>
    public DeviceTeacherSampleSource(GpuMomentDevice device, ReluNetwork teacher, long count, ulong seed, double noiseStd = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _device = device;
        _stream = new DeviceTeacherStream(device, teacher, seed, noiseStd);
        _buffers = new ThreadLocal<Buffers>(() => new Buffers(device.Accelerator), trackAllValues: true);
        Dimension = teacher.InputDim;
        Count = count;
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long Count { get; }

    /// <inheritdoc />
    public void Read(long start, Span<double> x, Span<double> y)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = y.Length, d = Dimension;
        if ((long)n * d != x.Length) throw new ArgumentException($"x has {x.Length} entries; {n} samples of dimension {d} need {(long)n * d}.");
        if (start < 0 || start + n > Count) throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start + n}) is outside [0, {Count}).");
        if (n == 0) return;
        _device.Accelerator.Bind(); // a CUDA context is current per thread
        Buffers b = _buffers.Value!;
        b.Reserve(n, d);
        _stream.Generate(b.Stream, start, n, b.X.View, b.Y.View);
        b.X.View.SubView(0, (long)n * d).CopyToCPU(b.Stream, x);
        b.Y.View.SubView(0, n).CopyToCPU(b.Stream, y);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Accelerator.Bind();
        foreach (Buffers b in _buffers.Values) b.Dispose();
        _buffers.Dispose();
        _stream.Dispose();
    }

    /// <summary>One reading thread's device buffers (grown to the largest block it reads) and stream.</summary>
    private sealed class Buffers(Accelerator accelerator) : IDisposable
    {
        public AcceleratorStream Stream { get; } = accelerator.CreateStream();

        private MemoryBuffer1D<double, Stride1D.Dense>? _x, _y;

        public MemoryBuffer1D<double, Stride1D.Dense> X => _x!;

        public MemoryBuffer1D<double, Stride1D.Dense> Y => _y!;

        public void Reserve(int n, int d)
        {
            if (_y is not null && _y.Length >= n) return;
            _x?.Dispose();
            _y?.Dispose();
            _x = accelerator.Allocate1D<double>((long)n * d);
            _y = accelerator.Allocate1D<double>(n);
        }

        public void Dispose()
        {
            Stream.Synchronize();
            Stream.Dispose();
            _x?.Dispose();
            _y?.Dispose();
        }
    }
}
