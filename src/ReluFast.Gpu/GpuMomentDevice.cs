using System.Numerics;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ReluFast.Interop;
using ReluFast.Moments;

namespace ReluFast.Gpu;

/// <summary>
/// The GPU moment engine: ILGPU kernels on a CUDA device (compiled to PTX at run time; only the NVIDIA driver is needed)
/// or on ILGPU's CPU accelerator, which runs the very same kernels on any machine (the tests and the dry run of
/// scripts/gpu-check.sh). Thread-safe: the threads of a pass share the device, each with its own sessions.
/// </summary>
internal sealed class GpuMomentDevice : IMomentDevice
{
    private readonly Context _context;
    private readonly object _launchLock = new();

    private GpuMomentDevice(Context context, Accelerator accelerator, string name)
    {
        _context = context;
        Accelerator = accelerator;
        Name = name;
        Hermite = accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, HermiteShape>(
            GpuKernels.HermiteTiles);
        Reduce = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, int, int>(GpuKernels.ReduceSegments);
        Pairs = accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<int>, ArrayView<double>, PairShape>(
            GpuKernels.PairProducts);
        // 256 threads, one micro-tile each, on a GPU; one thread on ILGPU's CPU accelerator, whose groups are threads of the
        // machine that meet at every barrier (the kernel loops over the micro-tiles for any group size)
        TileGroup = accelerator is CudaAccelerator ? Math.Min(256, accelerator.MaxNumThreadsPerGroup) : 1;
        Teacher = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            TeacherShape>(GpuKernels.TeacherSamples);
        Projection = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int>(
            GpuKernels.Project);
    }

    /// <summary>The device's name, e.g. "cuda:0 (NVIDIA H200)".</summary>
    public string Name { get; }

    internal Accelerator Accelerator { get; }

    internal Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, HermiteShape>
        Hermite { get; }
    internal Action<AcceleratorStream, Index1D, ArrayView<double>, ArrayView<double>, int, int> Reduce { get; }
    internal Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<int>, ArrayView<double>,
        PairShape> Pairs { get; }

    /// <summary>
    /// Threads of a <see cref="GpuKernels.PairProducts"/> or <see cref="GpuKernels.HermiteTiles"/> group (the tests set others:
    /// the sums do not depend on it).
    /// </summary>
    internal int TileGroup { get; set; }
    internal Action<AcceleratorStream, Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, TeacherShape> Teacher { get; }
    internal Action<AcceleratorStream, Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int> Projection { get; }

    /// <summary>
    /// Peak FP64 rate in GFLOP/s: 64 FP64 FMA units per multiprocessor (sm_80, sm_90) at the driver's clock; 0 off CUDA.
    /// </summary>
    public double PeakFp64GFlops => Accelerator is CudaAccelerator cuda ? PeakFp64(cuda.NumMultiprocessors, cuda.ClockRate) : 0;

    /// <summary>Peak memory bandwidth in GB/s from the driver's clock and bus width (0 when unknown, e.g. on the CPU accelerator).</summary>
    public double PeakBandwidthGBs => Accelerator is CudaAccelerator cuda ? PeakBandwidth(cuda.MemoryClockRate, cuda.MemoryBusWidth) : 0;

    // ILGPU gives the driver's clocks in MHz (the H200 reports 1980 and 3134: 33.5 TFLOP/s FP64 and 4.81 TB/s, its datasheet's
    // 34 TFLOP/s and 4.8 TB/s)
    internal static double PeakFp64(int multiprocessors, int clockMHz) => multiprocessors * (clockMHz * 1e6) * 128 / 1e9;

    internal static double PeakBandwidth(int memoryClockMHz, int busWidthBits) => 2.0 * memoryClockMHz * 1e6 * busWidthBits / 8 / 1e9;

    /// <summary>
    /// Opens the CUDA device of <paramref name="device"/> (cuda:N).
    /// </summary>
    /// <exception cref="DeviceUnavailableException">
    /// The NVIDIA driver (libcuda) cannot be loaded, it reports no CUDA device, or none with this index; the message
    /// says which.
    /// </exception>
    public static GpuMomentDevice Open(ComputeDevice device)
    {
        if (device.Kind != ComputeDeviceKind.Cuda)
            throw new ArgumentException($"The GPU moment engine runs on cuda devices, not {device}.", nameof(device));
        string library = OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";
        if (!NativeLibrary.TryLoad(library, out IntPtr handle))
            throw new DeviceUnavailableException($"--device {device}: the NVIDIA driver library {library} could not be loaded "
                + "(no NVIDIA driver on this machine); use --device cpu.");
        NativeLibrary.Free(handle);
        Context? context = null;
        try
        {
            context = Context.Create(builder => builder.Cuda().Optimize(OptimizationLevel.O2));
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
                throw new DeviceUnavailableException($"--device {device}: the NVIDIA driver reports no usable CUDA device "
                    + "(check nvidia-smi and CUDA_VISIBLE_DEVICES); use --device cpu.");
            if (device.Index >= devices.Count)
                throw new DeviceUnavailableException($"--device {device}: there is no CUDA device {device.Index}; the driver reports "
                    + $"{devices.Count} (cuda:0{(devices.Count > 1 ? $" to cuda:{devices.Count - 1}" : "")}).");
            CudaDevice chosen = devices[device.Index];
            Accelerator accelerator = chosen.CreateCudaAccelerator(context);
            var result = new GpuMomentDevice(context, accelerator, $"{device} ({chosen.Name})");
            context = null;
            return result;
        }
        catch (DeviceUnavailableException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DeviceUnavailableException($"--device {device}: the CUDA device could not be started: {e.Message}", e);
        }
        finally
        {
            context?.Dispose();
        }
    }

    /// <summary>Makes <see cref="ComputeDevice.OpenMomentDevice"/> open cuda devices with this engine (the CLI calls it at start).</summary>
    public static void Register() => ComputeDevice.RegisterCudaEngine(device => Open(device));

    /// <summary>The same kernels on ILGPU's CPU accelerator (any machine; slow: for tests and dry runs).</summary>
    public static GpuMomentDevice OpenCpuAccelerator()
    {
        var context = Context.Create(builder => builder.CPU().Optimize(OptimizationLevel.O2));
        try
        {
            return new GpuMomentDevice(context, context.CreateCPUAccelerator(0), "ILGPU CPU accelerator");
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IDeviceMoments<T> CreateWeightedGram<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        return PairProductSession<T>.Gram(this, dimension, weightCount);
    }

    /// <inheritdoc />
    public IDeviceMoments<T> CreateProjectedTensor<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, ProjectedTensorAccumulator<double>.MaxDimension);
        return PairProductSession<T>.Tensor(this, dimension, weightCount);
    }

    /// <inheritdoc />
    public IDeviceMoments<T> CreateHermiteProjection<T>(int dimension, ReadOnlySpan<double> directions, int hidden, int maxOrder)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOrder);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxOrder, HermiteProjectionAccumulator<double>.MaxSupportedOrder);
        if (directions.Length != dimension * hidden)
            throw new ArgumentException($"directions must be d x m = {dimension * hidden} entries, got {directions.Length}.", nameof(directions));
        return new HermiteSession<T>(this, dimension, directions, hidden, maxOrder);
    }

    /// <summary>
    /// Sample segments of a tiled launch (<see cref="GpuKernels.PairProducts"/>, <see cref="GpuKernels.HermiteTiles"/>) over
    /// <paramref name="tiles"/> tiles: about four groups per multiprocessor, and at least 64 samples each.
    /// </summary>
    internal int TileSegments(int tiles, int samples) =>
        Math.Clamp(4 * Accelerator.NumMultiprocessors / Math.Max(1, tiles), 1, Math.Max(1, samples / SamplesPerSegment));

    /// <summary>Fewest samples a launch gives one segment.</summary>
    internal const int SamplesPerSegment = 64;

    /// <summary>Tiles of <paramref name="tile"/> that cover <paramref name="count"/>.</summary>
    internal static int Tiles(int count, int tile) => (count + tile - 1) / tile;

    /// <summary>Serialises kernel launches from the threads of a pass (ILGPU's launchers share per-kernel state).</summary>
    internal object LaunchLock => _launchLock;

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Bind();
        Accelerator.Dispose();
        _context.Dispose();
    }
}
