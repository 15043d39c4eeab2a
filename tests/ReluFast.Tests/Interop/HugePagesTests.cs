using System.Globalization;
using ReluFast.Interop;

namespace ReluFast.Tests.Interop;

public class HugePagesTests
{
    /// <summary>The advice reaches the kernel: the mapping that holds a large array's interior carries VmFlags "hg".</summary>
    [Fact]
    public unsafe void ALargeArraysPagesAreAdvised()
    {
        if (!OperatingSystem.IsLinux()) return;
        double[] x = GC.AllocateUninitializedArray<double>(3 << 20); // 24 MiB
        HugePages.Advise(x);
        for (int i = 0; i < x.Length; i++) x[i] = i;
        fixed (double* p = x)
        {
            Assert.Contains("hg", FlagsOf((ulong)p + (ulong)x.Length * 4)); // the middle of the array
        }
        for (int i = 0; i < x.Length; i += 4097) Assert.Equal(i, x[i]);
    }

    /// <summary>Arrays below two huge pages are left alone (no mapping split for nothing); nothing throws.</summary>
    [Fact]
    public void SmallAndEmptyArraysAreLeftAlone()
    {
        HugePages.Advise(Array.Empty<double>());
        HugePages.Advise(new float[1000]);
        var small = new double[100_000];
        HugePages.Advise(small);
        Assert.All(small, v => Assert.Equal(0, v));
    }

    /// <summary>The VmFlags line of the /proc/self/smaps entry that maps <paramref name="address"/>.</summary>
    private static string FlagsOf(ulong address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, null, out ulong start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, null, out ulong end))
                inside = address >= start && address < end;
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal)) return line;
        }
        throw new InvalidOperationException($"No mapping holds 0x{address:x}.");
    }
}
