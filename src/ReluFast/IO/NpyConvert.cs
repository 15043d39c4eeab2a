using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReluFast.IO;

/// <summary>Converts between little-endian float32/float64 bytes and spans of float or double.</summary>
internal static class NpyConvert
{
    static NpyConvert()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ReluFast's file formats are little-endian and this machine is big-endian.");
    }

    /// <summary>Converts <paramref name="source"/> (elements of <paramref name="dtype"/>) into <paramref name="destination"/> (same element
    /// count).</summary>
    public static void FromBytes<T>(ReadOnlySpan<byte> source, NpyDType dtype, Span<T> destination) where T : unmanaged
    {
        if (dtype == NpyDType.Float64)
        {
            var src = MemoryMarshal.Cast<byte, double>(source);
            if (typeof(T) == typeof(double)) src.CopyTo(MemoryMarshal.Cast<T, double>(destination));
            else if (typeof(T) == typeof(float)) Narrow(src, MemoryMarshal.Cast<T, float>(destination));
            else throw Unsupported<T>();
        }
        else
        {
            var src = MemoryMarshal.Cast<byte, float>(source);
            if (typeof(T) == typeof(float)) src.CopyTo(MemoryMarshal.Cast<T, float>(destination));
            else if (typeof(T) == typeof(double)) Widen(src, MemoryMarshal.Cast<T, double>(destination));
            else throw Unsupported<T>();
        }
    }

    /// <summary>Converts <paramref name="source"/> into the bytes of <paramref name="dtype"/> elements in <paramref name="destination"/>.</summary>
    public static void ToBytes<T>(ReadOnlySpan<T> source, NpyDType dtype, Span<byte> destination) where T : unmanaged
    {
        if (dtype == NpyDType.Float64)
        {
            var dst = MemoryMarshal.Cast<byte, double>(destination);
            if (typeof(T) == typeof(double)) MemoryMarshal.Cast<T, double>(source).CopyTo(dst);
            else if (typeof(T) == typeof(float)) Widen(MemoryMarshal.Cast<T, float>(source), dst);
            else throw Unsupported<T>();
        }
        else
        {
            var dst = MemoryMarshal.Cast<byte, float>(destination);
            if (typeof(T) == typeof(float)) MemoryMarshal.Cast<T, float>(source).CopyTo(dst);
            else if (typeof(T) == typeof(double)) Narrow(MemoryMarshal.Cast<T, double>(source), dst);
            else throw Unsupported<T>();
        }
    }

    /// <summary>
    /// Widens the n = destination.Length floats stored in the last half of the bytes of <paramref name="destination"/>
    /// into doubles filling all of it, in place: reading element i (at byte 4n + 4i) always happens
    /// before the write of element i (bytes 8i..8i+8) can reach any element not yet read.
    /// </summary>
    public static void WidenInPlace(Span<double> destination)
    {
        int n = destination.Length;
        ref byte bytes = ref Unsafe.As<double, byte>(ref MemoryMarshal.GetReference(destination));
        ref byte floats = ref Unsafe.Add(ref bytes, 4 * n);
        for (int i = 0; i < n; i++)
        {
            float f = Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref floats, 4 * i));
            Unsafe.Add(ref MemoryMarshal.GetReference(destination), i) = f;
        }
    }

    public static void Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = source[i];
    }

    public static void Narrow(ReadOnlySpan<double> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = (float)source[i];
    }

    /// <summary>Throws unless <typeparamref name="T"/> is float or double.</summary>
    public static void Require<T>()
    {
        if (typeof(T) != typeof(double) && typeof(T) != typeof(float)) throw Unsupported<T>();
    }

    private static NotSupportedException Unsupported<T>() =>
        new($"ReluFast reads and writes float and double arrays, not {typeof(T).Name}.");
}
