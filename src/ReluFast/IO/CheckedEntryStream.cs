using System.IO.Hashing;

namespace ReluFast.IO;

/// <summary>
/// A read-only view of a zip entry's data that counts the bytes and computes their CRC-32 as they stream by, and
/// refuses to give more bytes than the entry declares; <see cref="Verify"/> reads what is left and compares length
/// and checksum with the archive's directory, so a corrupt entry is refused instead of read as other numbers.
/// </summary>
internal sealed class CheckedEntryStream(Stream inner, string source, long declaredLength, uint declaredCrc) : Stream
{
    private readonly Crc32 _crc = new();
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new ReluFastDataException(source, $"the archive entry is corrupt: {e.Message}", e);
        }
        _read += n;
        if (_read > declaredLength)
            throw new ReluFastDataException(source,
                $"the archive entry inflates to more than the {declaredLength} bytes its zip directory declares: it is corrupt.");
        _crc.Append(buffer[..n]);
        return n;
    }

    /// <summary>Reads the rest of the entry and checks its length and CRC-32 against the zip directory.</summary>
    /// <exception cref="ReluFastDataException">The entry is shorter or longer than declared, or its CRC-32 differs.</exception>
    public void Verify()
    {
        Span<byte> rest = stackalloc byte[4096];
        while (Read(rest) > 0) { }
        if (_read != declaredLength)
            throw new ReluFastDataException(source,
                $"the archive entry holds {_read} bytes but its zip directory declares {declaredLength}: it is truncated or corrupt.");
        uint crc = _crc.GetCurrentHashAsUInt32();
        if (crc != declaredCrc)
            throw new ReluFastDataException(source,
                $"the archive entry is corrupt: its CRC-32 is {crc:x8} but the zip directory records {declaredCrc:x8}.");
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
