<?php

declare(strict_types=1);

namespace SkypeBus\Codegen;

use SkypeBus\Bus;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Internal\ReplyDecoder;
use SkypeBus\Library;

/**
 * The skypebus-codegen command (bin/skypebus-codegen): reads introspection XML from files or
 * from a live bus and writes one class per interface with Generator.
 */
final class Command
{
    public const USAGE = <<<'TEXT'
Usage: skypebus-codegen [options] FILE.xml...
       skypebus-codegen [options] --bus session|system|ADDRESS --dest NAME --path PATH

Writes one typed PHP class per D-Bus interface found in introspection XML: from files (the
output of `gdbus introspect --xml`, `busctl introspect --xml-interface`, or an interface
definition), or from the object PATH of NAME on a live bus. The standard interfaces (Peer,
Introspectable, Properties) are left out.

Options:
  --namespace NS   the namespace of the classes (default: Generated; "" for none)
  --out DIR        where to write ClassName.php files (default: the current directory)
  --bus BUS        session, system, or a D-Bus address
  --dest NAME      the bus name to introspect (with --bus)
  --path PATH      the object path to introspect (with --bus)
  -h, --help       this text

    skypebus-codegen --bus system --dest org.freedesktop.login1 --path /org/freedesktop/login1 --out src/Generated
    new Generated\OrgFreedesktopLogin1Manager($bus, 'org.freedesktop.login1', '/org/freedesktop/login1');

TEXT;

    /**
     * Runs the command; the exit status (0 done, 1 failed, 2 wrong usage).
     *
     * @param list<string> $arguments without the program name
     * @param resource $out
     * @param resource $err
     */
    public static function run(array $arguments, $out, $err): int
    {
        $options = ['namespace' => 'Generated', 'out' => '.', 'bus' => null, 'dest' => null, 'path' => null];
        $files = [];
        for ($i = 0; $i < count($arguments); $i++) {
            $argument = $arguments[$i];
            if ($argument === '-h' || $argument === '--help') {
                fwrite($out, self::USAGE);
                return 0;
            }
            if (strncmp($argument, '--', 2) === 0 && $argument !== '--') {
                $parts = explode('=', substr($argument, 2), 2);
                $key = $parts[0];
                if (!array_key_exists($key, $options)) {
                    return self::usage($err, "unknown option $argument");
                }
                if (count($parts) === 2) {
                    $options[$key] = $parts[1];
                } elseif ($i + 1 < count($arguments)) {
                    $options[$key] = $arguments[++$i];
                } else {
                    return self::usage($err, "the option --$key needs a value");
                }
                continue;
            }
            if ($argument !== '' && $argument[0] === '-' && $argument !== '-') {
                return self::usage($err, "unknown option $argument");
            }
            $files[] = $argument;
        }
        $live = $options['bus'] !== null || $options['dest'] !== null || $options['path'] !== null;
        if ($live && ($options['bus'] === null || $options['dest'] === null || $options['path'] === null)) {
            return self::usage($err, '--bus, --dest and --path go together');
        }
        if ($live === ($files !== [])) {
            return self::usage($err, $live ? 'give XML files or --bus, not both' : 'no XML file and no --bus given');
        }
        try {
            $generator = new Generator((string) $options['namespace']);
            $classes = [];
            if ($live) {
                $source = sprintf('%s at %s on the %s bus', $options['dest'], $options['path'], $options['bus']);
                $classes = $generator->generate(self::liveInterfaces((string) $options['bus'], (string) $options['dest'], (string) $options['path']), $source);
            }
            foreach ($files as $file) {
                $classes += $generator->generate(self::fileInterfaces($file), basename($file));
            }
            if ($classes === []) {
                fwrite($err, "skypebus-codegen: no interface to generate (only standard ones)\n");
                return 1;
            }
            $directory = rtrim((string) $options['out'], '/');
            if ($directory === '') {
                $directory = '/';
            }
            if (!is_dir($directory) && !@mkdir($directory, 0777, true) && !is_dir($directory)) {
                fwrite($err, "skypebus-codegen: cannot create the directory $directory\n");
                return 1;
            }
            foreach ($classes as $class => $code) {
                $path = $directory . '/' . $class . '.php';
                if (file_put_contents($path, $code) === false) {
                    fwrite($err, "skypebus-codegen: cannot write $path\n");
                    return 1;
                }
                fwrite($out, $path . "\n");
            }
            return 0;
        } catch (SkypeBusException $e) {
            fwrite($err, 'skypebus-codegen: ' . $e->getMessage() . "\n");
            return 1;
        }
    }

    /** @param resource $err */
    private static function usage($err, string $problem): int
    {
        fwrite($err, "skypebus-codegen: $problem\n\n" . self::USAGE);
        return 2;
    }

    /**
     * @return list<array<string, mixed>>
     * @throws SkypeBusException
     */
    private static function liveInterfaces(string $bus, string $destination, string $path): array
    {
        $connection = $bus === 'session' ? Bus::session() : ($bus === 'system' ? Bus::system() : Bus::connect($bus));
        try {
            $data = $connection->introspect($destination, $path);
        } finally {
            $connection->close();
        }
        return is_array($data['interfaces'] ?? null) ? $data['interfaces'] : [];
    }

    /**
     * The interfaces of an XML file, read by the library's own parser (the one it serves and
     * types calls with).
     *
     * @return list<array<string, mixed>>
     * @throws SkypeBusException
     */
    private static function fileInterfaces(string $file): array
    {
        $xml = is_file($file) ? @file_get_contents($file) : false;
        if ($xml === false) {
            throw \SkypeBus\Internal\Errors::invalid(sprintf('cannot read %s', $file));
        }
        try {
            $schema = ReplyDecoder::decodeJson(Library::native()->exportSchema($xml), 'the schema of ' . $file);
        } catch (\SkypeBus\Exception\InvalidArgumentException $e) {
            throw \SkypeBus\Internal\Errors::invalid(sprintf('%s: %s', $file, $e->getMessage()));
        }
        return is_array($schema['interfaces'] ?? null) ? $schema['interfaces'] : [];
    }
}
