<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Support;

use SkypeBus\Bus;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgsException;

/**
 * The handler of the object the serving tests export: it records every call it gets, so tests
 * check the PHP values the handler received directly, and replies with values whose types the
 * callers' output (gdbus, busctl) shows.
 */
final class ServedObject
{
    public const INTERFACE = 'net.skypebus.Test.Served';
    public const PATH = '/net/skypebus/Test/Served';

    /** Every D-Bus type as in-arguments of Types(), and as out-arguments of Typed(). */
    public const TYPES = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g', 'ay', 'as', 'a{sv}', 'a{ui}', 'v', '(is)'];

    /** @var list<array{0: string, 1: list<mixed>}> method name and arguments, in order */
    public $calls = [];

    /** @var Bus|null */
    public $bus;

    /** @var list<array{0: string, 1: string, 2: mixed}> property writes seen */
    public $writes = [];

    public static function xml(): string
    {
        $in = '';
        $out = '';
        foreach (self::TYPES as $i => $type) {
            $in .= sprintf('<arg name="a%d" type="%s" direction="in"/>', $i, $type);
            $out .= sprintf('<arg name="r%d" type="%s" direction="out"/>', $i, $type);
        }
        $interface = self::INTERFACE;
        return <<<XML
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="$interface">
    <method name="Add"><arg name="a" type="i"/><arg name="b" type="i"/><arg name="sum" type="i" direction="out"/></method>
    <method name="Types">$in<arg name="count" type="u" direction="out"/></method>
    <method name="Typed">$out</method>
    <method name="Pair"><arg name="text" type="s"/><arg name="same" type="s" direction="out"/><arg name="length" type="u" direction="out"/></method>
    <method name="Nothing"/>
    <method name="Fail"><arg name="name" type="s"/><arg name="message" type="s"/></method>
    <method name="FailInvalidArgs"/>
    <method name="Crash"><arg name="message" type="s"/></method>
    <method name="WrongReturn"><arg name="n" type="u" direction="out"/></method>
    <method name="WrongCount"><arg name="a" type="u" direction="out"/><arg name="b" type="u" direction="out"/></method>
    <method name="WhoCalls"><arg name="sender" type="s" direction="out"/><arg name="member" type="s" direction="out"/></method>
    <method name="Stop"/>
    <property name="Volume" type="d" access="readwrite"/>
    <property name="Title" type="s" access="read"/>
    <property name="Locked" type="u" access="readwrite"/>
    <signal name="Changed"><arg name="what" type="s"/></signal>
  </interface>
  <node name="child"/>
</node>
XML;
    }

    public function Add(int $a, int $b): int
    {
        $this->calls[] = ['Add', [$a, $b]];
        return $a + $b;
    }

    /**
     * @param mixed ...$args
     */
    public function Types(...$args): int
    {
        $this->calls[] = ['Types', $args];
        return count($args);
    }

    /**
     * @return list<mixed>
     */
    public function Typed(): array
    {
        $this->calls[] = ['Typed', []];
        return [
            7, true, -3, 65535, -2147483648, 4294967295, PHP_INT_MIN, '18446744073709551615', 1.5, 'text',
            '/a/b', 'a{sv}', "\x00\xff", ['x', 'y'], ['k' => 1, 's' => 'x'], [7 => -7], 'in a variant', [1, 'x'],
        ];
    }

    /**
     * @return array{0: string, 1: int}
     */
    public function Pair(string $text): array
    {
        $this->calls[] = ['Pair', [$text]];
        return [$text, strlen($text)];
    }

    public function Nothing(): void
    {
        $this->calls[] = ['Nothing', []];
    }

    public function Fail(string $name, string $message): void
    {
        $this->calls[] = ['Fail', [$name, $message]];
        throw new DBusException($name, $message);
    }

    public function FailInvalidArgs(): void
    {
        $this->calls[] = ['FailInvalidArgs', []];
        throw new InvalidArgsException('org.freedesktop.DBus.Error.InvalidArgs', 'the arguments are wrong');
    }

    public function Crash(string $message): void
    {
        $this->calls[] = ['Crash', [$message]];
        throw new \RuntimeException($message);
    }

    /** @return string not a "u" */
    public function WrongReturn(): string
    {
        $this->calls[] = ['WrongReturn', []];
        return 'not a number';
    }

    /** @return list<int> one value where two are declared */
    public function WrongCount(): array
    {
        $this->calls[] = ['WrongCount', []];
        return [1];
    }

    /**
     * @return array{0: string, 1: string}
     */
    public function WhoCalls(): array
    {
        $call = $this->bus !== null ? $this->bus->currentCall() : null;
        $this->calls[] = ['WhoCalls', []];
        return $call === null ? ['', ''] : [$call->getSender(), $call->getInterface() . '.' . $call->getMember()];
    }

    public function Stop(): void
    {
        $this->calls[] = ['Stop', []];
        if ($this->bus !== null) {
            $this->bus->interrupt();
        }
    }

    /** Public, but not in the XML: never callable over D-Bus. */
    public function Hidden(): string
    {
        $this->calls[] = ['Hidden', []];
        return 'hidden';
    }

    /**
     * The names of the methods called, in order.
     *
     * @return list<string>
     */
    public function called(): array
    {
        return array_map(static function (array $call): string {
            return $call[0];
        }, $this->calls);
    }
}
