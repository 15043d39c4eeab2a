using ReluFast.Interop;
using ReluFast.Tests.Gpu;
using TorchSharp;

namespace ReluFast.Tests.Interop;

public class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", ComputeDeviceKind.Cpu, 0, "cpu")]
    [InlineData(" CPU ", ComputeDeviceKind.Cpu, 0, "cpu")]
    [InlineData("cuda", ComputeDeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("CUDA:3", ComputeDeviceKind.Cuda, 3, "cuda:3")]
    public void ParsesDeviceNames(string text, ComputeDeviceKind kind, int index, string canonical)
    {
        var device = ComputeDevice.Parse(text);
        Assert.Equal(kind, device.Kind);
        Assert.Equal(index, device.Index);
        Assert.Equal(canonical, device.ToString());
        Assert.Equal(device, ComputeDevice.Parse(device.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    public void RejectsOtherNamesWithAClearMessage(string text)
    {
        Assert.False(ComputeDevice.TryParse(text, out _));
        var e = Assert.Throws<ArgumentException>(() => ComputeDevice.Parse(text));
        Assert.Contains("cpu, cuda or cuda:N", e.Message);
    }

    [Fact]
    public void CpuHasNoMomentDeviceAndItsDenseDeviceIsTheTorchCpu()
    {
        Assert.Null(ComputeDevice.Cpu.OpenMomentDevice());
        Assert.Equal(DeviceType.CPU, ComputeDevice.Cpu.Resolve().type);
    }

    [NoCudaFact]
    public void CudaWithoutADriverIsAClearErrorAndLeavesTheProcessWorking()
    {
        ReluFast.Gpu.GpuMomentDevice.Register();
        var e = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Cuda().OpenMomentDevice());
        Assert.Contains("--device cuda:0", e.Message);
        Assert.Contains("libcuda.so.1", e.Message);
        Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Cuda(1).OpenMomentDevice());
        // The process is unharmed: the CPU still works afterwards.
        using var scope = torch.NewDisposeScope();
        Assert.Equal(6.0, torch.tensor(new double[] { 1, 2, 3 }).sum().item<double>());
    }

    [CudaFact]
    public void CudaOpensTheGpuEngineAndAnAbsentIndexIsNamed()
    {
        ReluFast.Gpu.GpuMomentDevice.Register();
        using (var device = ComputeDevice.Cuda().OpenMomentDevice()) Assert.StartsWith("cuda:0 (", device!.Name);
        var e = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Cuda(1000).OpenMomentDevice());
        Assert.Contains("no CUDA device 1000", e.Message);
    }
}
