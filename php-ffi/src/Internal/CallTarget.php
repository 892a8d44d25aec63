<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

/**
 * What a method call goes to: destination, object path, interface, method, and the signature
 * of its arguments (null: the library finds one). Built once per target and reused call after
 * call: of() keeps the targets Bus::call() sees (bounded), a Proxy keeps one per method, and the
 * target carries what RequestEncoder derives from it once (the JSON head, the complete types).
 *
 * Read-only after construction except for the caches RequestEncoder fills.
 *
 * @internal
 */
final class CallTarget
{
    /** Most targets of() keeps. */
    private const CACHE = 256;

    /** @var array<string, self> of()'s targets by key() */
    public static $cache = [];

    /** @var string a bus name; '' for none (peer-to-peer connections) */
    public $destination;

    /** @var string */
    public $path;

    /** @var string|null null or '' for none */
    public $interface;

    /** @var string */
    public $method;

    /** @var string|null */
    public $signature;

    /**
     * @var string|null the request JSON of the target's keys without its closing brace, filled
     *                  in by RequestEncoder on first use
     */
    public $head;

    /** @var list<string>|null the signature's complete types, filled in by RequestEncoder */
    public $types;

    /**
     * @var bool|null whether calls can send their arguments packed (BodyPacker: a signature
     *                of types it packs), filled in by RequestEncoder::packable()
     */
    public $packable;

    /** @var string|null the request of packed calls with $packedOptions (RequestEncoder::packedRequest()) */
    public $packedRequest;

    /** @var CallOptions|null */
    public $packedOptions;

    public function __construct(string $destination, string $path, ?string $interface, string $method, ?string $signature)
    {
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->method = $method;
        $this->signature = $signature;
    }

    /**
     * The key of a target in $cache. Bus::call() computes it inline and looks the target up
     * itself, calling of() only the first time.
     */
    public static function key(string $destination, string $path, ?string $interface, string $method, ?string $signature): string
    {
        return $destination . "\0" . $path . "\0" . ($interface ?? '') . "\0" . $method . "\0" . ($signature ?? "\1");
    }

    /** The kept target, made and kept when it is new. */
    public static function of(string $destination, string $path, ?string $interface, string $method, ?string $signature): self
    {
        $key = self::key($destination, $path, $interface, $method, $signature);
        $target = self::$cache[$key] ?? null;
        if ($target === null) {
            if (count(self::$cache) >= self::CACHE) {
                self::$cache = [];
            }
            $target = self::$cache[$key] = new self($destination, $path, $interface, $method, $signature);
        }
        return $target;
    }
}
