using System.Globalization;
using ReluFast.Moments;
using TorchSharp;

namespace ReluFast.Interop;

/// <summary>The kind of device the moment passes run on.</summary>
public enum ComputeDeviceKind
{
    /// <summary>The CPU (the SIMD engine; always available).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA (the ILGPU engine of ReluFast.Gpu; needs the NVIDIA driver).</summary>
    Cuda,
}

/// <summary>
/// Where the moment passes run: <c>cpu</c> (the SIMD engine) or <c>cuda</c> / <c>cuda:N</c> (the GPU moment engine of
/// ReluFast.Gpu, registered with <see cref="RegisterCudaEngine"/>). The small dense problems (eigensolves, refinement)
/// stay on the CPU through TorchSharp on every device.
/// </summary>
/// <param name="Kind">CPU or CUDA.</param>
/// <param name="Index">The CUDA device number (0 for the CPU).</param>
public readonly record struct ComputeDevice(ComputeDeviceKind Kind, int Index = 0)
{
    private static Func<ComputeDevice, IMomentDevice>? s_cudaEngine;
    private static readonly AsyncLocal<Func<ComputeDevice, IMomentDevice>?> s_scopedCudaEngine = new();

    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu => new(ComputeDeviceKind.Cpu);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is negative.</exception>
    public static ComputeDevice Cuda(int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new ComputeDevice(ComputeDeviceKind.Cuda, index);
    }

    /// <summary>Parses "cpu", "cuda" or "cuda:N" (case-insensitive), as the CLI's <c>--device</c> takes it.</summary>
    /// <exception cref="ArgumentException">The text is none of those.</exception>
    public static ComputeDevice Parse(string text) =>
        TryParse(text, out var device)
            ? device
            : throw new ArgumentException($"'{text}' is not a device: use cpu, cuda or cuda:N (N = 0, 1, ...).", nameof(text));

    /// <summary>Parses "cpu", "cuda" or "cuda:N" (case-insensitive).</summary>
    public static bool TryParse(string? text, out ComputeDevice device)
    {
        device = Cpu;
        if (text is null) return false;
        string t = text.Trim();
        if (t.Equals("cpu", StringComparison.OrdinalIgnoreCase)) return true;
        if (t.Equals("cuda", StringComparison.OrdinalIgnoreCase) || t.Equals("gpu", StringComparison.OrdinalIgnoreCase))
        {
            device = new ComputeDevice(ComputeDeviceKind.Cuda);
            return true;
        }
        if (t.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            device = new ComputeDevice(ComputeDeviceKind.Cuda, index);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Registers the engine that opens CUDA devices (ReluFast.Gpu's <c>GpuMomentDevice.Register()</c> does this; the core
    /// library has no GPU code, so that it stays NativeAOT-compatible). The last registration wins.
    /// </summary>
    internal static void RegisterCudaEngine(Func<ComputeDevice, IMomentDevice> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        Volatile.Write(ref s_cudaEngine, open);
    }

    /// <summary>
    /// Makes <see cref="OpenMomentDevice"/> open cuda devices with <paramref name="open"/> in the calling flow only (this
    /// thread and the tasks and threads it starts) until the scope is disposed; the registered engine is left alone. The
    /// tests run the learner's device path this way on ILGPU's CPU accelerator while other tests register the real engine.
    /// </summary>
    internal static IDisposable UseCudaEngine(Func<ComputeDevice, IMomentDevice> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        var previous = s_scopedCudaEngine.Value;
        s_scopedCudaEngine.Value = open;
        return new Scope(() => s_scopedCudaEngine.Value = previous);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        private Action? _restore = restore;

        public void Dispose() => Interlocked.Exchange(ref _restore, null)?.Invoke();
    }

    /// <summary>
    /// The moment engine of a CUDA device: null for the CPU (the SIMD engine runs the passes), else the engine of
    /// <see cref="UseCudaEngine"/> in this flow or the registered engine, opened on this device. The caller disposes it.
    /// </summary>
    /// <exception cref="DeviceUnavailableException">
    /// No GPU engine is registered in this process, or it cannot use this device (no NVIDIA driver, no such index); the
    /// message names what is missing.
    /// </exception>
    internal IMomentDevice? OpenMomentDevice()
    {
        if (Kind == ComputeDeviceKind.Cpu) return null;
        Func<ComputeDevice, IMomentDevice> open = s_scopedCudaEngine.Value ?? Volatile.Read(ref s_cudaEngine)
            ?? throw new DeviceUnavailableException($"--device {this}: no GPU moment engine in this process (the C ABI and "
                + "library users without ReluFast.Gpu have none; reference ReluFast.Gpu and call GpuMomentDevice.Register()).");
        return open(this);
    }

    /// <summary>The TorchSharp device of the learner's dense parts: the CPU (transitional; the learner opens the GPU engine instead).</summary>
    /// <exception cref="DeviceUnavailableException">This is a CUDA device: use <see cref="OpenMomentDevice"/>.</exception>
    public torch.Device Resolve()
    {
        if (Kind == ComputeDeviceKind.Cuda)
            throw new DeviceUnavailableException($"--device {this}: TorchSharp runs on the CPU only; the moment passes go to the GPU through " +
                "OpenMomentDevice.");
        TorchRuntime.EnsureLoaded();
        return torch.CPU;
    }

    /// <summary>"cpu" or "cuda:N" (what <see cref="Parse"/> reads back).</summary>
    public override string ToString() => Kind == ComputeDeviceKind.Cpu ? "cpu" : $"cuda:{Index.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A requested compute device (cuda:N) cannot be used here; the message names what is missing (driver, device index).</summary>
public sealed class DeviceUnavailableException : Exception
{
    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public DeviceUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
