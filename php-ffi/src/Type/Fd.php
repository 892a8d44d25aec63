<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\ResultCode;
use SkypeBus\Library;

/**
 * D-Bus "h": a unix file descriptor this object owns (docs/fds.md).
 *
 * Every "h" a reply, a signal or a served call carries arrives as an Fd; one passed as an
 * argument is sent as "h" (the message carries a duplicate: the Fd stays open and yours). The
 * descriptor is closed by close(), or when the object is destroyed, unless detach() took it.
 * Using an Fd that is closed or detached is an InvalidArgumentException. clone gives an Fd of
 * its own (a duplicate descriptor).
 *
 * The descriptors are made and closed by the library (skypebus_fd_open, _dup, _close): PHP
 * has no call that gives a descriptor number.
 */
final class Fd implements TypedValue
{
    public const SIGNATURE = 'h';

    /** @var int|null the descriptor; null once closed or detached */
    private $fd;

    /** @var bool true while unserializeReply() runs: the only time __unserialize() takes a number */
    private static $receiving = false;

    private function __construct(int $fd)
    {
        $this->fd = $fd;
    }

    /**
     * Opens the file at $path as fopen($path, $mode) would: $mode is r, r+, w, w+, a, a+, x, x+,
     * c or c+ (b, t, e accepted, without effect). The descriptor is close-on-exec.
     *
     * @throws \SkypeBus\Exception\SkypeBusException when the file cannot be opened (the message says
     *         why) or the mode is none of these
     */
    public static function fromPath(string $path, string $mode = 'r'): self
    {
        return new self(Library::native()->fdOpen($path, $mode));
    }

    /**
     * An Fd owning a duplicate of the open descriptor $fd, which stays the caller's.
     *
     * @throws InvalidArgumentException when $fd is not an open descriptor of this process
     */
    public static function fromNumber(int $fd): self
    {
        if ($fd < 0 || $fd > 2147483647) {
            throw self::notOpen($fd);
        }
        return new self(Library::native()->fdDup($fd));
    }

    /**
     * An Fd owning a duplicate of the descriptor under a PHP stream (a file, a pipe, a socket,
     * STDIN...); the stream stays open and the caller's.
     *
     * PHP tells no stream's descriptor number, so it is found on Linux through /proc/self: among
     * the descriptors of the same file (fstat()), the one whose O_NONBLOCK follows the stream's
     * stream_set_blocking() (a flag of the open file, which dup() shares) is the stream's. Its
     * blocking mode is restored afterwards. Data PHP has already read into the stream's buffer
     * is not read again through the descriptor.
     *
     * @param resource $stream
     * @throws InvalidArgumentException when $stream is not a stream over a descriptor (memory and
     *         temp streams, user wrappers, http...) or /proc/self is not there
     */
    public static function fromStream($stream): self
    {
        if (!is_resource($stream) || get_resource_type($stream) !== 'stream') {
            throw new InvalidArgumentException(
                sprintf('Fd::fromStream() takes an open stream, %s given', \SkypeBus\Internal\Values::describe($stream)),
                'net.skypebus.Error.TypeMismatch',
                ResultCode::TYPE_MISMATCH
            );
        }
        return self::fromNumber(self::streamDescriptor($stream));
    }

    /**
     * An Fd taking ownership of $fd, a descriptor the library handed out (an "h" received).
     *
     * @internal
     */
    public static function received(int $fd): self
    {
        return new self($fd);
    }

    /**
     * unserialize() of a reply of the library whose "h" values are Fd objects (a reply the
     * library marked with "F"): the only text from which an Fd is made.
     *
     * @internal
     * @return mixed
     */
    public static function unserializeReply(string $text)
    {
        self::$receiving = true;
        try {
            return @unserialize($text, ['allowed_classes' => [self::class]]);
        } finally {
            self::$receiving = false;
        }
    }

    /**
     * The descriptor number.
     *
     * @throws InvalidArgumentException when the Fd is closed or detached
     */
    public function getNumber(): int
    {
        if ($this->fd === null) {
            throw self::used();
        }
        return $this->fd;
    }

    /** Whether close() or detach() was called (the Fd no longer has a descriptor). */
    public function isClosed(): bool
    {
        return $this->fd === null;
    }

    public function getSignature(): string
    {
        return self::SIGNATURE;
    }

    /**
     * The descriptor number, as getNumber().
     *
     * @throws InvalidArgumentException when the Fd is closed or detached
     */
    public function getValue(): int
    {
        return $this->getNumber();
    }

    /**
     * @return array{type: string, data: int}
     * @throws InvalidArgumentException when the Fd is closed or detached
     */
    public function jsonSerialize(): array
    {
        return ['type' => self::SIGNATURE, 'data' => $this->getNumber()];
    }

    /**
     * A new PHP stream on a duplicate of the descriptor (closing either leaves the other open).
     * $mode defaults to what the descriptor was opened for: "r", "w" or "r+".
     *
     * With the CLI this is php://fd/N (which duplicates N). Other SAPIs refuse php://fd; there
     * the file is opened again through /proc/self/fd/N: the same file, with a position of its
     * own, and sockets cannot be opened that way.
     *
     * @return resource
     * @throws InvalidArgumentException when the Fd is closed or detached, or PHP cannot open it
     */
    public function stream(?string $mode = null)
    {
        $fd = $this->getNumber();
        $mode = $mode ?? self::accessMode($fd);
        $stream = @fopen('php://fd/' . $fd, $mode);
        if ($stream === false) {
            $stream = @fopen('/proc/self/fd/' . $fd, $mode);
        }
        if ($stream === false) {
            $error = error_get_last();
            throw new InvalidArgumentException(
                sprintf('Cannot open a stream on file descriptor %d: %s', $fd, $error['message'] ?? 'fopen() failed'),
                'net.skypebus.Error.IO',
                ResultCode::IO_ERROR
            );
        }
        return $stream;
    }

    /**
     * Closes the descriptor. Closing an Fd that is closed or detached does nothing.
     *
     * @throws \SkypeBus\Exception\SkypeBusException when close(2) fails (the number is released
     *         all the same)
     */
    public function close(): void
    {
        $fd = $this->fd;
        if ($fd === null) {
            return;
        }
        $this->fd = null;
        Library::native()->fdClose($fd);
    }

    /**
     * Gives up the descriptor: its number is returned, the caller closes it, and this Fd is
     * detached (used no more, never closes).
     *
     * @throws InvalidArgumentException when the Fd is closed or detached
     */
    public function detach(): int
    {
        $fd = $this->getNumber();
        $this->fd = null;
        return $fd;
    }

    public function __destruct()
    {
        if ($this->fd !== null) {
            $fd = $this->fd;
            $this->fd = null;
            try {
                Library::native()->fdClose($fd);
            } catch (\Throwable $e) {
                // A destructor cannot report it; the number is released either way.
            }
        }
    }

    /** A copy owns a duplicate descriptor of its own. */
    public function __clone()
    {
        if ($this->fd !== null) {
            $this->fd = Library::native()->fdDup($this->fd);
        }
    }

    /**
     * @return array<string, mixed>
     * @throws InvalidArgumentException always: a descriptor is not data (send it as "h" instead)
     */
    public function __serialize(): array
    {
        throw new InvalidArgumentException(
            'A SkypeBus\Type\Fd cannot be serialized: a descriptor is only valid in its process',
            'net.skypebus.Error.NotSupported',
            ResultCode::NOT_SUPPORTED
        );
    }

    /**
     * Only the library's replies (unserializeReply()) make Fd objects from text.
     *
     * @param array<string, mixed> $data
     * @throws InvalidArgumentException for any other text
     */
    public function __unserialize(array $data): void
    {
        $fd = $data['fd'] ?? null;
        if (!self::$receiving || !is_int($fd) || $fd < 0) {
            throw new InvalidArgumentException(
                'A SkypeBus\Type\Fd cannot be unserialized: only the library hands out descriptors',
                'net.skypebus.Error.NotSupported',
                ResultCode::NOT_SUPPORTED
            );
        }
        $this->fd = $fd;
    }

    /**
     * The descriptor number under $stream (see fromStream()).
     *
     * @param resource $stream
     * @throws InvalidArgumentException
     */
    private static function streamDescriptor($stream): int
    {
        $stat = @fstat($stream);
        $entries = @scandir('/proc/self/fd');
        if ($stat === false || $entries === false) {
            throw self::noDescriptor($stream, $stat === false ? 'fstat() fails on it' : '/proc/self/fd cannot be read');
        }
        $candidates = [];
        foreach ($entries as $entry) {
            if (strspn($entry, '0123456789') !== strlen($entry) || $entry === '') {
                continue;
            }
            $other = @stat('/proc/self/fd/' . $entry);
            if ($other !== false && $other['dev'] === $stat['dev'] && $other['ino'] === $stat['ino']) {
                $candidates[] = (int) $entry;
            }
        }
        if ($candidates === []) {
            throw self::noDescriptor($stream, 'no descriptor of this process is its file');
        }
        // The descriptors of the stream's open file see its O_NONBLOCK change with the stream's.
        $before = self::fileFlags($candidates);
        $nonBlocking = @stream_set_blocking($stream, false) ? self::fileFlags($candidates) : [];
        $blocking = @stream_set_blocking($stream, true) ? self::fileFlags($candidates) : [];
        foreach ($candidates as $fd) {
            if (isset($before[$fd], $nonBlocking[$fd], $blocking[$fd]) && $nonBlocking[$fd] !== $blocking[$fd]) {
                if ($before[$fd] === $nonBlocking[$fd]) {
                    stream_set_blocking($stream, false);
                }
                return $fd;
            }
        }
        throw self::noDescriptor($stream, 'none of the descriptors of its file follows its blocking mode');
    }

    /**
     * The "flags" line of /proc/self/fdinfo of each descriptor (those that can be read).
     *
     * @param list<int> $fds
     * @return array<int, string>
     */
    private static function fileFlags(array $fds): array
    {
        $flags = [];
        foreach ($fds as $fd) {
            $info = @file_get_contents('/proc/self/fdinfo/' . $fd);
            if (is_string($info) && preg_match('/^flags:\s*([0-7]+)$/m', $info, $m) === 1) {
                $flags[$fd] = $m[1];
            }
        }
        return $flags;
    }

    /** "r", "w" or "r+" after the access mode the descriptor was opened with ("r+" if unknown). */
    private static function accessMode(int $fd): string
    {
        $flags = self::fileFlags([$fd])[$fd] ?? null;
        if ($flags === null) {
            return 'r+';
        }
        // O_ACCMODE: O_RDONLY 0, O_WRONLY 1, O_RDWR 2.
        return ['r', 'w', 'r+', 'r+'][octdec($flags) & 3];
    }

    /** @param resource $stream */
    private static function noDescriptor($stream, string $why): InvalidArgumentException
    {
        $meta = stream_get_meta_data($stream);
        return new InvalidArgumentException(
            sprintf(
                'Fd::fromStream(): no file descriptor found under the stream (%s, %s): %s',
                $meta['wrapper_type'] ?? 'no wrapper',
                $meta['stream_type'],
                $why
            ),
            'net.skypebus.Error.TypeMismatch',
            ResultCode::TYPE_MISMATCH
        );
    }

    private static function notOpen(int $fd): InvalidArgumentException
    {
        return new InvalidArgumentException(
            sprintf('%d is not an open file descriptor of this process', $fd),
            'net.skypebus.Error.TypeMismatch',
            ResultCode::TYPE_MISMATCH
        );
    }

    private static function used(): InvalidArgumentException
    {
        return new InvalidArgumentException(
            'This SkypeBus\Type\Fd is closed or detached: it has no descriptor any more',
            'net.skypebus.Error.InvalidRequest',
            ResultCode::INVALID_REQUEST
        );
    }
}
