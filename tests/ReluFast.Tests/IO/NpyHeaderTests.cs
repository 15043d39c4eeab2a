using System.Text;
using ReluFast.IO;

namespace ReluFast.Tests.IO;

public class NpyHeaderTests
{
    // np.save(f, np.zeros((3, 4))) with NumPy >= 1.24 writes exactly these 128 header bytes:
    // magic, version 1.0, header length 118 ('v\0'), the dict, 20 spare spaces for the growth
    // axis (21 digits minus len('3')), padding to a multiple of 64 and a newline.
    private static readonly string NumPyHeader3x4F8 =
        "\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }" +
        new string(' ', 20) + new string(' ', 38) + "\n";

    [Fact]
    public void HeaderBytesEqualWhatNumPyWrites()
    {
        byte[] expected = Encoding.Latin1.GetBytes(NumPyHeader3x4F8);
        Assert.Equal(128, expected.Length);
        var header = new NpyHeader(NpyDType.Float64, [3, 4]);
        Assert.Equal(expected, header.ToBytes());
        Assert.Equal(128, header.DataOffset);
    }

    [Fact]
    public void FortranHeaderBytesEqualWhatNumPyWrites()
    {
        // np.save(f, np.asfortranarray(np.zeros((1000, 7), np.float32))): the growth axis is the last one (7).
        string dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (1000, 7), }" + new string(' ', 20);
        string text = "\u0093NUMPY\u0001\u0000v\u0000" + dict;
        text += new string(' ', 127 - text.Length) + "\n";
        var header = new NpyHeader(NpyDType.Float32, [1000, 7], fortranOrder: true);
        Assert.Equal(Encoding.Latin1.GetBytes(text), header.ToBytes());
    }

    [Fact]
    public void OneDimensionalShapeIsWrittenAsAPythonOneTuple()
    {
        var header = new NpyHeader(NpyDType.Float32, [5]);
        string text = Encoding.Latin1.GetString(header.ToBytes());
        Assert.Contains("'shape': (5,), }", text);
        Assert.Equal("(5,)", header.ShapeText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryVersionRoundTripsAndIsAlignedTo64(int version)
    {
        var header = new NpyHeader(NpyDType.Float64, [123456789012, 17]);
        byte[] bytes = header.ToBytes(version);
        Assert.Equal(0, bytes.Length % 64);
        Assert.Equal((byte)version, bytes[6]);
        Assert.Equal((byte)'\n', bytes[^1]);
        var parsed = NpyHeader.Parse(bytes, "h.npy");
        Assert.Equal(version, parsed.MajorVersion);
        Assert.Equal(NpyDType.Float64, parsed.DType);
        Assert.Equal([123456789012L, 17L], parsed.Shape.ToArray());
        Assert.False(parsed.FortranOrder);
        Assert.Equal(bytes.Length, parsed.DataOffset);
    }

    [Fact]
    public void ParsesHeadersOtherWritersProduce()
    {
        // Keys in another order, double quotes, no trailing comma, Python 2 long suffix.
        byte[] bytes = TestData.HandMadeNpy("{\"shape\": (2L, 3L), \"fortran_order\": True, \"descr\": \"<f4\"}", new byte[24]);
        var h = NpyHeader.Parse(bytes, null);
        Assert.Equal(NpyDType.Float32, h.DType);
        Assert.True(h.FortranOrder);
        Assert.Equal([2L, 3L], h.Shape.ToArray());
    }

    [Fact]
    public void ParsesVersion2HeaderWrittenByHand()
    {
        byte[] bytes = TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", new byte[32], major: 2);
        var h = NpyHeader.Parse(bytes, null);
        Assert.Equal(2, h.MajorVersion);
        Assert.Equal([4L], h.Shape.ToArray());
        Assert.Equal(0, h.DataOffset % 64);
    }

    [Fact]
    public void HeaderLengthDoesNotDependOnTheRowCount()
    {
        // NumPy's spare space: the header of a file can be rewritten in place as its row count grows.
        int a = new NpyHeader(NpyDType.Float32, [0, 32]).ToBytes().Length;
        int b = new NpyHeader(NpyDType.Float32, [100_000_000_000, 32]).ToBytes().Length;
        Assert.Equal(a, b);
    }

    [Fact]
    public void RejectsShapesTheWriterCannotDescribe()
    {
        Assert.Throws<ArgumentException>(() => new NpyHeader(NpyDType.Float64, [2, 3, 4]));
        Assert.Throws<ArgumentException>(() => new NpyHeader(NpyDType.Float64, []));
        Assert.Throws<ArgumentException>(() => new NpyHeader(NpyDType.Float64, [-1]));
    }
}
