/**
 * Training speed over the most recent batches. A window, not the run's average: the first batches are
 * slow (kernel warm-up, the WASM backend packing weights), and the machine's load changes during a
 * long run, so recent speed predicts the remaining time best.
 */
export class ThroughputMeter {
  private readonly images: number[] = [];
  private readonly seconds: number[] = [];

  constructor(private readonly window = 20) {}

  record(images: number, seconds: number): void {
    this.images.push(images);
    this.seconds.push(seconds);
    if (this.images.length > this.window) {
      this.images.shift();
      this.seconds.shift();
    }
  }

  /** 0 until a batch has been timed. */
  get imagesPerSecond(): number {
    const seconds = this.seconds.reduce((a, b) => a + b, 0);
    return seconds > 0 ? this.images.reduce((a, b) => a + b, 0) / seconds : 0;
  }

  /** Seconds to process `images` more at the current speed; Infinity while the speed is unknown. */
  etaSeconds(images: number): number {
    const speed = this.imagesPerSecond;
    return speed > 0 ? images / speed : Infinity;
  }
}
