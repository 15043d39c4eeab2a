using ILGPU;
using ILGPU.Runtime;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Gpu;

/// <summary>
/// The samples of <see cref="TeacherSampleSource{T}"/> (double) generated on the device: x ~ N(0, I) from the same
/// counter-based stream and y = f(x) + s e, written straight into device memory, so a pass over a teacher moves no
/// samples between host and device. Values agree with the CPU source to rounding (see <see cref="DeviceGaussian"/>).
/// </summary>
internal sealed class DeviceTeacherStream : IDisposable
{
    private readonly GpuMomentDevice _device;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _network;
    private readonly TeacherShape _shape;

    public DeviceTeacherStream(GpuMomentDevice device, ReluNetwork teacher, ulong seed, double noiseStd = 0)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        _device = device;
        int d = teacher.InputDim, m = teacher.Hidden;
        var packed = new double[m * d + 2 * m + d];
        teacher.W.CopyTo(packed);
        teacher.B.CopyTo(packed.AsSpan(m * d));
        teacher.A.CopyTo(packed.AsSpan(m * d + m));
        teacher.LinearWeights.CopyTo(packed.AsSpan(m * d + 2 * m));
        _network = device.Accelerator.Allocate1D(packed);
        _shape = new TeacherShape(d, m, 0, new CounterGaussian(seed, key: 1).Origin, new CounterGaussian(seed, key: 2).Origin,
            noiseStd, teacher.LinearBias, teacher.HasLinearPart ? 1 : 0);
        Dimension = d;
    }

    public int Dimension { get; }

    /// <summary>Writes samples [start, start + n) into x (n x d) and y (n) on <paramref name="stream"/>.</summary>
    public void Generate(AcceleratorStream stream, long start, int n, ArrayView<double> x, ArrayView<double> y)
    {
        if (n == 0) return;
        _device.Accelerator.Bind();
        lock (_device.LaunchLock) _device.Teacher(stream, n, x, y, _network.View, _shape with { Start = start });
    }

    public void Dispose() => _network.Dispose();
}
