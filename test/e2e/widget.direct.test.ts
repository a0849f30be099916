// The end-to-end widget suite (widget-suite.ts) in direct mode.
import { widgetSuite } from './widget-suite.ts';

widgetSuite('direct');
