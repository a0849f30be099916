// The end-to-end widget suite (widget-suite.ts) in gateway mode.
import { widgetSuite } from './widget-suite.ts';

widgetSuite('gateway');
