using System.Globalization;
using TorchSharp;

namespace ReluFast.Interop;

/// <summary>The kind of device the TorchSharp parts of ReluFast run on.</summary>
public enum ComputeDeviceKind
{
    /// <summary>The CPU (always available).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA (needs a build with <c>-p:TorchBackend=cuda</c> and a driver).</summary>
    Cuda,
}

/// <summary>
/// A device for the TorchSharp parts of ReluFast (dense linear algebra, refinement, the libtorch moment
/// engine): <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. <see cref="Resolve"/> turns it into a TorchSharp
/// <see cref="torch.Device"/>, or explains why it is not available; it never crashes the process.
/// </summary>
/// <param name="Kind">CPU or CUDA.</param>
/// <param name="Index">The CUDA device number (0 for the CPU).</param>
public readonly record struct ComputeDevice(ComputeDeviceKind Kind, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu => new(ComputeDeviceKind.Cpu);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is negative.</exception>
    public static ComputeDevice Cuda(int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new ComputeDevice(ComputeDeviceKind.Cuda, index);
    }

    /// <summary>
    /// The libtorch back end this build of ReluFast references: "cpu" (TorchSharp-cpu, the default) or
    /// "cuda" (built with <c>-p:TorchBackend=cuda</c>: TorchSharp + libtorch-cuda-12.8-linux-x64).
    /// </summary>
    public static string TorchBackend =>
#if RELUFAST_TORCH_CUDA
        "cuda";
#else
        "cpu";
#endif

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

    /// <summary>Whether this device can be used in this process (loads libtorch; false when it cannot be loaded).</summary>
    public bool IsAvailable
    {
        get
        {
            try
            {
                _ = Resolve();
                return true;
            }
            catch (TorchUnavailableException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// The TorchSharp device, after checking that libtorch loads and, for CUDA, that this build has the CUDA
    /// libtorch and a CUDA device with this index is visible.
    /// </summary>
    /// <exception cref="TorchUnavailableException">libtorch cannot be loaded, or the CUDA device is absent; the message says why and what to do.</exception>
    public torch.Device Resolve()
    {
        TorchRuntime.EnsureLoaded();
        if (Kind == ComputeDeviceKind.Cpu) return torch.CPU;
        bool available;
        int count;
        try
        {
            available = torch.cuda.is_available();
            count = available ? torch.cuda.device_count() : 0;
        }
        catch (Exception e)
        {
            throw new TorchUnavailableException($"CUDA was requested ({this}) but libtorch failed while looking for CUDA devices: {e.Message}", e);
        }
        if (!available)
        {
            string why = TorchBackend == "cuda"
                ? "this build uses the CUDA libtorch, but libtorch sees no CUDA device: check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES"
                : "this build uses the CPU libtorch; build with -p:TorchBackend=cuda (TorchSharp + libtorch-cuda-12.8-linux-x64) on a machine with an NVIDIA driver, or use the cpu device";
            throw new TorchUnavailableException($"CUDA was requested ({this}) but is not available: {why}.");
        }
        if (Index >= count)
            throw new TorchUnavailableException($"CUDA device {Index} was requested but libtorch sees {count} CUDA device{(count == 1 ? "" : "s")} (0..{count - 1}).");
        return torch.device(DeviceType.CUDA, Index);
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
