<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Internal\ReplyDecoder;
use SkypeBus\Internal\RequestEncoder;
use SkypeBus\Type\Fd;
use SkypeBus\Type\Variant;

/**
 * SkypeBus\Type\Fd on its own: opening, duplicating, streams, closing, detaching, destruction,
 * and what the encoder and decoder make of it. The descriptors come from the library (FFI), so
 * these run on the host PHP only.
 *
 * @group host
 */
final class FdTest extends TestCase
{
    /** @var string */
    private $file;

    protected function setUp(): void
    {
        $this->file = (string) tempnam(sys_get_temp_dir(), 'skypebus-fd-unit');
        file_put_contents($this->file, 'some text');
    }

    protected function tearDown(): void
    {
        @unlink($this->file);
    }

    private static function isOpen(int $fd): bool
    {
        return file_exists('/proc/self/fd/' . $fd);
    }

    /** The descriptor $fd and the one under the stream are the same open file (O_NONBLOCK is shared). */
    private static function flags(int $fd): string
    {
        preg_match('/^flags:\s*([0-7]+)$/m', (string) file_get_contents('/proc/self/fdinfo/' . $fd), $m);
        return $m[1] ?? '';
    }

    public function testFromPathOpensTheFileAndCloseClosesIt(): void
    {
        $fd = Fd::fromPath($this->file);
        $n = $fd->getNumber();
        self::assertTrue(self::isOpen($n));
        self::assertSame('h', $fd->getSignature());
        self::assertSame($n, $fd->getValue());
        self::assertSame(['type' => 'h', 'data' => $n], $fd->jsonSerialize());
        self::assertSame('some text', stream_get_contents($fd->stream()));
        $fd->close();
        self::assertFalse(self::isOpen($n));
        self::assertTrue($fd->isClosed());
        $fd->close(); // a second close does nothing
    }

    public function testFromPathModes(): void
    {
        $fd = Fd::fromPath($this->file, 'a');
        $stream = $fd->stream();
        fwrite($stream, ' and more');
        fclose($stream);
        $fd->close();
        self::assertSame('some text and more', file_get_contents($this->file));
        Fd::fromPath($this->file, 'w')->close();
        self::assertSame('', file_get_contents($this->file));
        try {
            Fd::fromPath($this->file, 'x');
            self::fail('mode x opened a file that exists');
        } catch (SkypeBusException $e) {
            self::assertSame('net.skypebus.Error.IO', $e->getErrorName());
            self::assertStringContainsString($this->file, $e->getMessage());
        }
        try {
            Fd::fromPath($this->file, 'rw');
            self::fail('mode rw was taken');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('"rw"', $e->getMessage());
        }
        $this->expectException(SkypeBusException::class);
        Fd::fromPath($this->file . '.missing');
    }

    public function testFromNumberDuplicates(): void
    {
        $original = Fd::fromPath($this->file);
        $copy = Fd::fromNumber($original->getNumber());
        self::assertNotSame($original->getNumber(), $copy->getNumber());
        $original->close();
        self::assertSame('some text', stream_get_contents($copy->stream()));
        foreach ([-1, 2147483647, 99999] as $bad) {
            try {
                Fd::fromNumber($bad);
                self::fail("fromNumber($bad) was taken");
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString("$bad", $e->getMessage());
            }
        }
    }

    public function testFromStreamFindsTheStreamsDescriptor(): void
    {
        $stream = fopen($this->file, 'r');
        $other = fopen($this->file, 'r'); // the same file, another open file: not this one
        fseek($stream, 5);
        $fd = Fd::fromStream($stream);
        $view = $fd->stream('r');
        self::assertSame('text', stream_get_contents($view), 'the same open file (its position)');
        self::assertTrue(stream_get_meta_data($stream)['blocked'], 'the blocking mode is restored');
        fclose($view);
        fclose($other);
        $fd->close();
        self::assertSame('', stream_get_contents($stream), 'the stream shares the position the view moved');
        fseek($stream, 0);
        self::assertSame('some text', stream_get_contents($stream), 'the stream stays open');
        fclose($stream);

        [$read, $write] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        stream_set_blocking($write, false);
        $fd = Fd::fromStream($write);
        self::assertFalse(stream_get_meta_data($write)['blocked'], 'a non-blocking stream stays so');
        self::assertSame(self::flags($fd->getNumber()), self::flags($fd->getNumber()));
        $out = $fd->stream('w');
        fwrite($out, 'through the socket');
        fclose($out);
        $fd->close();
        fclose($write);
        self::assertSame('through the socket', stream_get_contents($read));

        foreach ([fopen('php://memory', 'r+'), 'not a stream'] as $bad) {
            try {
                Fd::fromStream($bad);
                self::fail('fromStream() took ' . gettype($bad));
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString('stream', $e->getMessage());
            }
        }
    }

    public function testDetachGivesUpTheDescriptor(): void
    {
        $fd = Fd::fromPath($this->file);
        $n = $fd->detach();
        self::assertTrue($fd->isClosed());
        unset($fd);
        self::assertTrue(self::isOpen($n), 'a detached Fd does not close');
        Fd::received($n)->close();
        self::assertFalse(self::isOpen($n));
    }

    public function testDestructionClosesAndCloneDuplicates(): void
    {
        $fd = Fd::fromPath($this->file);
        $n = $fd->getNumber();
        $copy = clone $fd;
        self::assertNotSame($n, $copy->getNumber());
        unset($fd);
        self::assertFalse(self::isOpen($n), 'destroyed, closed');
        self::assertTrue(self::isOpen($copy->getNumber()));
    }

    public function testAClosedFdCannotBeUsed(): void
    {
        $fd = Fd::fromPath($this->file);
        $fd->close();
        foreach (
            [
                'getNumber' => [$fd, 'getNumber'],
                'stream' => [$fd, 'stream'],
                'detach' => [$fd, 'detach'],
                'send' => static function () use ($fd): void {
                    RequestEncoder::encode(RequestEncoder::prepare([$fd], 'ah'));
                },
            ] as $what => $use
        ) {
            try {
                $use();
                self::fail("$what worked on a closed Fd");
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString('closed', $e->getMessage(), $what);
            }
        }
    }

    public function testFdsAreNeitherSerializedNorUnserialized(): void
    {
        $fd = Fd::fromPath($this->file);
        try {
            serialize($fd);
            self::fail('an Fd was serialized');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.NotSupported', $e->getErrorName());
        }
        $text = 'O:16:"SkypeBus\Type\Fd":1:{s:2:"fd";i:' . $fd->getNumber() . ';}';
        try {
            unserialize($text);
            self::fail('an Fd was made from text');
        } catch (InvalidArgumentException $e) {
            self::assertSame('net.skypebus.Error.NotSupported', $e->getErrorName());
        }
        self::assertTrue(self::isOpen($fd->getNumber()));
    }

    /** The decoder makes Fd objects of "h" values, in the library's serialize() text and in JSON. */
    public function testTheDecoderMakesFdObjects(): void
    {
        $a = Fd::fromPath($this->file)->detach();
        $b = Fd::fromPath($this->file)->detach();
        $serialized = ReplyDecoder::decodeSerialized('Fa:2:{i:0;O:16:"SkypeBus\Type\Fd":1:{s:2:"fd";i:' . $a . ';}i:1;i:7;}');
        self::assertInstanceOf(Fd::class, $serialized[0]);
        self::assertSame($a, $serialized[0]->getNumber());
        self::assertSame(7, $serialized[1]);
        $values = ReplyDecoder::decodeReply('{"type":"a{sv}h","data":[{"k":{"type":"h","data":' . $b . '}},' . $b . ']}', false);
        self::assertInstanceOf(Fd::class, $values[0]['k']);
        self::assertInstanceOf(Fd::class, $values[1]);
        $values[1]->detach();
        unset($values);
        self::assertFalse(self::isOpen($b));
        self::assertTrue(self::isOpen($a), 'a decoded reply still owns it');
        unset($serialized);
        self::assertFalse(self::isOpen($a));
        // Without the library's mark no class is allowed: no Fd, nothing closed.
        $unmarked = ReplyDecoder::decodeSerialized('a:1:{i:0;O:16:"SkypeBus\Type\Fd":1:{s:2:"fd";i:0;}}');
        self::assertNotInstanceOf(Fd::class, $unmarked[0]);
        unset($unmarked);
        self::assertTrue(self::isOpen(0));
    }

    public function testVariantsOfTypeH(): void
    {
        $fd = Fd::fromPath($this->file);
        self::assertSame(['type' => 'h', 'data' => $fd->getNumber()], (new Variant('h', $fd))->jsonSerialize());
        self::assertSame(['type' => 'h', 'data' => 0], (new Variant('h', 0))->jsonSerialize());
        foreach ([-1, 'x', 1.5] as $bad) {
            try {
                new Variant('h', $bad);
                self::fail('new Variant("h", ' . var_export($bad, true) . ') was taken');
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString('"h"', $e->getMessage());
            }
        }
    }
}
