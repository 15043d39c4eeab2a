using ReluFast.Interop;
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
    public void CpuResolvesToTheTorchCpuDevice()
    {
        var device = ComputeDevice.Cpu.Resolve();
        Assert.Equal(DeviceType.CPU, device.type);
        Assert.True(ComputeDevice.Cpu.IsAvailable);
    }

    [Fact]
    public void CudaGivesAClearErrorWhereItIsAbsent()
    {
        if (TorchRuntime.IsCudaAvailable)
        {
            // A CUDA build on a GPU machine: the device resolves instead.
            Assert.Equal(DeviceType.CUDA, ComputeDevice.Cuda().Resolve().type);
            return;
        }
        var e = Assert.Throws<TorchUnavailableException>(() => ComputeDevice.Cuda().Resolve());
        Assert.Contains("CUDA was requested (cuda:0)", e.Message);
        if (ComputeDevice.TorchBackend == "cpu")
            Assert.Contains("-p:TorchBackend=cuda", e.Message);
        Assert.False(ComputeDevice.Cuda(1).IsAvailable);
        // The process is unharmed: the CPU still works afterwards.
        using var scope = torch.NewDisposeScope();
        Assert.Equal(6.0, torch.tensor(new double[] { 1, 2, 3 }).sum().item<double>());
    }

    [Fact]
    public void TheDefaultBuildUsesTheCpuBackend()
    {
        Assert.Equal("cpu", ComputeDevice.TorchBackend);
    }
}
